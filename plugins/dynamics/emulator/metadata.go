package emulator

import (
	"math"
	"net/http"
	"sort"
	"strings"

	"github.com/sluicedata/sluice/plugins/dynamics/internal/guid"
)

// Metadata is served from the table definitions: EntityDefinitions (with Attributes, Keys and relationships,
// $select, $filter, $expand and the typed attribute casts), the service document and WhoAmI.

func label(text string) map[string]any {
	if text == "" {
		return map[string]any{"LocalizedLabels": []any{}, "UserLocalizedLabel": nil}
	}
	l := map[string]any{"Label": text, "LanguageCode": 1033, "IsManaged": true, "MetadataId": stableID("label", text), "HasChanged": nil}
	return map[string]any{"LocalizedLabels": []any{l}, "UserLocalizedLabel": l}
}

// attributeClass names the metadata type and AttributeType of a column.
func attributeClass(c *Column) (metaType, attrType, typeName string) {
	switch c.Type {
	case TypeString:
		return "StringAttributeMetadata", "String", "StringType"
	case TypeMemo:
		return "MemoAttributeMetadata", "Memo", "MemoType"
	case TypeInteger:
		return "IntegerAttributeMetadata", "Integer", "IntegerType"
	case TypeBigInt:
		return "BigIntAttributeMetadata", "BigInt", "BigIntType"
	case TypeDecimal:
		return "DecimalAttributeMetadata", "Decimal", "DecimalType"
	case TypeDouble:
		return "DoubleAttributeMetadata", "Double", "DoubleType"
	case TypeMoney:
		return "MoneyAttributeMetadata", "Money", "MoneyType"
	case TypeBoolean:
		return "BooleanAttributeMetadata", "Boolean", "BooleanType"
	case TypeDateTime:
		return "DateTimeAttributeMetadata", "DateTime", "DateTimeType"
	case TypePicklist:
		return "PicklistAttributeMetadata", "Picklist", "PicklistType"
	case TypeMultiSelect:
		return "MultiSelectPicklistAttributeMetadata", "Virtual", "MultiSelectPicklistType"
	case TypeState:
		return "StateAttributeMetadata", "State", "StateType"
	case TypeStatus:
		return "StatusAttributeMetadata", "Status", "StatusType"
	case TypeLookup:
		return "LookupAttributeMetadata", "Lookup", "LookupType"
	case TypeCustomer:
		return "LookupAttributeMetadata", "Customer", "CustomerType"
	case TypeOwner:
		return "LookupAttributeMetadata", "Owner", "OwnerType"
	}
	return "UniqueIdentifierAttributeMetadata", "Uniqueidentifier", "UniqueidentifierType"
}

// optionSetTypes are the metadata types that have an OptionSet navigation property.
var optionSetTypes = map[string]bool{"PicklistAttributeMetadata": true, "MultiSelectPicklistAttributeMetadata": true,
	"StateAttributeMetadata": true, "StatusAttributeMetadata": true, "BooleanAttributeMetadata": true}

func attributeMetadata(t *Table, c *Column, index int) map[string]any {
	metaType, attrType, typeName := attributeClass(c)
	m := map[string]any{
		"@odata.type":           "#Microsoft.Dynamics.CRM." + metaType,
		"MetadataId":            c.MetadataID,
		"LogicalName":           c.LogicalName,
		"SchemaName":            c.SchemaName,
		"EntityLogicalName":     t.LogicalName,
		"AttributeType":         attrType,
		"AttributeTypeName":     map[string]any{"Value": typeName},
		"DisplayName":           label(c.DisplayName),
		"Description":           label(""),
		"RequiredLevel":         map[string]any{"Value": c.RequiredLevel, "CanBeChanged": !c.IsPrimaryID, "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings"},
		"IsValidForCreate":      c.validForCreate(),
		"IsValidForUpdate":      c.validForUpdate(),
		"IsValidForRead":        true,
		"IsValidODataAttribute": true,
		"IsPrimaryId":           c.IsPrimaryID,
		"IsPrimaryName":         c.IsPrimaryName,
		"IsCustomAttribute":     c.IsCustom,
		"IsLogical":             false,
		"IsManaged":             !c.IsCustom,
		"AttributeOf":           nil,
		"ColumnNumber":          index + 1,
		"SourceType":            0,
	}
	if len(c.Computed) > 0 {
		m["SourceType"] = 1
	}
	switch c.Type {
	case TypeString:
		m["MaxLength"] = c.MaxLength
		m["DatabaseLength"] = c.MaxLength * 2
		m["Format"] = c.Format
		m["FormatName"] = map[string]any{"Value": c.Format}
	case TypeMemo:
		m["MaxLength"] = c.MaxLength
		m["DatabaseLength"] = c.MaxLength * 2
		m["Format"] = "TextArea"
		m["FormatName"] = map[string]any{"Value": "TextArea"}
	case TypeInteger, TypeBigInt:
		m["MinValue"], m["MaxValue"] = metadataInt(c.MinValue), metadataInt(c.MaxValue)
		if c.Type == TypeInteger {
			m["Format"] = "None"
		}
	case TypeDecimal, TypeDouble, TypeMoney:
		m["MinValue"], m["MaxValue"], m["Precision"] = c.MinValue, c.MaxValue, c.Precision
		if c.Type == TypeMoney {
			m["PrecisionSource"] = 2
			m["IsBaseCurrency"] = false
		}
	case TypeDateTime:
		m["Format"] = c.Format
		m["DateTimeBehavior"] = map[string]any{"Value": c.Behavior}
		m["CanChangeDateTimeBehavior"] = map[string]any{"Value": true, "CanBeChanged": false, "ManagedPropertyLogicalName": "canchangedatetimebehavior"}
	case TypeBoolean:
		m["DefaultValue"] = false
	case TypePicklist, TypeMultiSelect:
		m["DefaultFormValue"] = -1
	case TypeState:
		m["DefaultFormValue"] = nil
	case TypeLookup, TypeCustomer, TypeOwner:
		m["Targets"] = append([]string{}, c.Targets...)
		m["Format"] = nil
	}
	return m
}

// optionSetMetadata is the OptionSet navigation property of a choice column.
func optionSetMetadata(t *Table, c *Column) map[string]any {
	base := map[string]any{"MetadataId": stableID("optionset", t.LogicalName, c.LogicalName), "Name": t.LogicalName + "_" + c.LogicalName,
		"IsGlobal": false, "IsCustomOptionSet": c.IsCustom, "IsManaged": !c.IsCustom, "DisplayName": label(c.DisplayName), "Description": label("")}
	option := func(value int, text string) map[string]any {
		return map[string]any{"Value": value, "Label": label(text), "Description": label(""), "Color": nil, "IsManaged": !c.IsCustom,
			"ExternalValue": nil, "MetadataId": nil, "HasChanged": nil}
	}
	if c.Type == TypeBoolean {
		base["@odata.type"] = "#Microsoft.Dynamics.CRM.BooleanOptionSetMetadata"
		base["OptionSetType"] = "Boolean"
		base["TrueOption"] = option(1, c.TrueLabel)
		base["FalseOption"] = option(0, c.FalseLabel)
		return base
	}
	base["@odata.type"] = "#Microsoft.Dynamics.CRM.OptionSetMetadata"
	typ := "Picklist"
	switch c.Type {
	case TypeState:
		typ = "State"
	case TypeStatus:
		typ = "Status"
	}
	base["OptionSetType"] = typ
	var opts []any
	for _, o := range c.Options {
		m := option(o.Value, o.Label)
		switch c.Type {
		case TypeStatus:
			m["@odata.type"] = "#Microsoft.Dynamics.CRM.StatusOptionMetadata"
			m["State"] = o.State
			m["TransitionData"] = nil
		case TypeState:
			m["@odata.type"] = "#Microsoft.Dynamics.CRM.StateOptionMetadata"
			if st, ok := t.byName["statuscode"]; ok {
				m["DefaultStatus"], _ = st.defaultStatus(o.Value)
			}
			m["InvariantName"] = strings.ReplaceAll(o.Label, " ", "")
		}
		opts = append(opts, m)
	}
	base["Options"] = opts
	return base
}

func (s *Server) entityMetadata(t *Table) map[string]any {
	plural := t.EntitySetName
	return map[string]any{
		"MetadataId":                     t.MetadataID,
		"LogicalName":                    t.LogicalName,
		"SchemaName":                     t.SchemaName,
		"EntitySetName":                  t.EntitySetName,
		"LogicalCollectionName":          plural,
		"CollectionSchemaName":           strings.ToUpper(plural[:1]) + plural[1:],
		"DisplayName":                    label(t.DisplayName),
		"DisplayCollectionName":          label(t.DisplayCollectionName),
		"Description":                    label(""),
		"PrimaryIdAttribute":             t.PrimaryID,
		"PrimaryNameAttribute":           t.PrimaryName,
		"ObjectTypeCode":                 t.ObjectTypeCode,
		"IsCustomEntity":                 t.IsCustom,
		"IsManaged":                      !t.IsCustom,
		"IsActivity":                     t.PrimaryID == "activityid",
		"IsIntersect":                    false,
		"IsValidForAdvancedFind":         true,
		"ChangeTrackingEnabled":          t.ChangeTracking,
		"OwnershipType":                  "UserOwned",
		"TableType":                      "Standard",
		"HasActivities":                  t.PrimaryID != "activityid",
		"IsOptimisticConcurrencyEnabled": true,
	}
}

func keyMetadata(t *Table, k *Key) map[string]any {
	return map[string]any{"MetadataId": k.MetadataID, "LogicalName": k.LogicalName, "SchemaName": k.SchemaName,
		"KeyAttributes": append([]string{}, k.Columns...), "EntityLogicalName": t.LogicalName, "EntityKeyIndexStatus": "Active",
		"DisplayName": label(k.SchemaName), "IsManaged": false, "IsCustomizable": map[string]any{"Value": true}}
}

func relationshipMetadata(referencing *Table, c *Column, nav, target, rel string, referenced *Table) map[string]any {
	return map[string]any{"MetadataId": stableID("relationship", rel), "SchemaName": rel, "RelationshipType": "OneToManyRelationship",
		"ReferencedEntity": target, "ReferencedAttribute": referenced.PrimaryID, "ReferencingEntity": referencing.LogicalName,
		"ReferencingAttribute": c.LogicalName, "ReferencingEntityNavigationPropertyName": nav,
		"ReferencedEntityNavigationPropertyName": rel, "IsCustomRelationship": c.IsCustom, "IsValidForAdvancedFind": true}
}

func (s *Server) manyToOne(t *Table) []map[string]any {
	var out []map[string]any
	names := make([]string, 0, len(t.navs))
	for n := range t.navs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, nav := range names {
		np := t.navs[nav]
		for _, target := range np.Targets {
			for _, coll := range s.schema.byName[target].collections {
				if coll.Referencing == t && coll.Column == np.Column {
					out = append(out, relationshipMetadata(t, np.Column, nav, target, coll.Name, s.schema.byName[target]))
				}
			}
		}
	}
	return out
}

func (s *Server) oneToMany(t *Table) []map[string]any {
	var out []map[string]any
	names := make([]string, 0, len(t.collections))
	for n := range t.collections {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		coll := t.collections[name]
		for nav, np := range coll.Referencing.navs {
			if np.Column == coll.Column && contains(np.Targets, t.LogicalName) {
				out = append(out, relationshipMetadata(coll.Referencing, coll.Column, nav, t.LogicalName, name, t))
			}
		}
	}
	return out
}

// metaQuery is $select/$filter/$expand over metadata objects.
type metaQuery struct {
	sel    []string
	filter filterNode
	expand map[string]*metaQuery
}

func parseMetaQuery(sel, filter, expand string, aliases map[string]string) (*metaQuery, *apiError) {
	q := &metaQuery{expand: map[string]*metaQuery{}}
	if sel != "" {
		q.sel = strings.Split(sel, ",")
	}
	if filter != "" {
		f, err := parseFilter(filter, aliases)
		if err != nil {
			return nil, err
		}
		q.filter = f
	}
	for _, item := range splitTopLevel(expand, ',') {
		item = strings.TrimSpace(item)
		name, opts := item, ""
		if i := strings.IndexByte(item, '('); i >= 0 && strings.HasSuffix(item, ")") {
			name, opts = item[:i], item[i+1:len(item)-1]
		}
		var subSel, subFilter, subExpand string
		for _, o := range splitTopLevel(opts, ';') {
			k, v, _ := strings.Cut(strings.TrimSpace(o), "=")
			switch k {
			case "$select":
				subSel = v
			case "$filter":
				subFilter = v
			case "$expand":
				subExpand = v
			}
		}
		sub, err := parseMetaQuery(subSel, subFilter, subExpand, aliases)
		if err != nil {
			return nil, err
		}
		q.expand[name] = sub
	}
	return q, nil
}

func mapGetter(m map[string]any) getter {
	return func(path string) any {
		var cur any = m
		for _, part := range strings.Split(path, "/") {
			mm, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = mm[part]
		}
		switch v := cur.(type) {
		case int:
			return int64(v)
		}
		return cur
	}
}

// shape applies $select to a metadata object (MetadataId and @odata.type always stay).
func (q *metaQuery) shape(m map[string]any, typeName string) (map[string]any, *apiError) {
	if q == nil || len(q.sel) == 0 {
		return m, nil
	}
	out := map[string]any{"MetadataId": m["MetadataId"]}
	if t, ok := m["@odata.type"]; ok {
		out["@odata.type"] = t
	}
	for _, name := range q.sel {
		name = strings.TrimSpace(name)
		v, ok := m[name]
		if !ok {
			return nil, errPropertyNotFound(name, typeName)
		}
		out[name] = v
	}
	return out, nil
}

func (q *metaQuery) matches(m map[string]any) bool {
	return q == nil || q.filter == nil || evalFilter(q.filter, mapGetter(m))
}

// handleEntityDefinitions answers EntityDefinitions[(...)][/Attributes[(...)][/cast]|/Keys|/...Relationships].
func (s *Server) handleEntityDefinitions(req *apiRequest) *apiResponse {
	res := strings.TrimPrefix(req.resource, "EntityDefinitions")
	aliases := map[string]string{}
	for k, v := range req.query {
		if strings.HasPrefix(k, "@") && len(v) > 0 {
			aliases[k[1:]] = v[0]
		}
	}
	q, err := parseMetaQuery(req.query.Get("$select"), req.query.Get("$filter"), req.query.Get("$expand"), aliases)
	if err != nil {
		return errorResponse(err)
	}
	ctxBase := req.root + "/$metadata#EntityDefinitions"
	if res == "" {
		var items []any
		for _, t := range s.schema.tables {
			m, err := s.entityWithExpands(t, q)
			if err != nil {
				return errorResponse(err)
			}
			if m != nil {
				items = append(items, m)
			}
		}
		return marshalResponse(http.StatusOK, map[string]any{"@odata.context": ctxBase + selSuffix(q), "value": nonNil(items)})
	}
	if !strings.HasPrefix(res, "(") {
		return errorResponse(errResourceNotFound(strings.TrimPrefix(res, "/")))
	}
	closeAt := matchParen(res, 0)
	if closeAt < 0 {
		return errorResponse(errResourceNotFound(res))
	}
	pred, rest := res[1:closeAt], strings.TrimPrefix(res[closeAt+1:], "/")
	t := s.tableByMetadataKey(pred)
	if t == nil {
		return errorResponse(newAPIError(http.StatusNotFound, codeObjectDoesNotExist, "Could not find entity with key %s.", pred))
	}
	ctxEntity := ctxBase + "(" + pred + ")"
	if rest == "" {
		m, err := s.entityWithExpands(t, &metaQuery{sel: q.sel, expand: q.expand})
		if err != nil {
			return errorResponse(err)
		}
		m["@odata.context"] = ctxBase + selSuffix(q) + "/$entity"
		return marshalResponse(http.StatusOK, m)
	}
	part, sub, _ := strings.Cut(rest, "/")
	switch {
	case part == "Attributes" || strings.HasPrefix(part, "Attributes("):
		return s.handleAttributes(t, part, sub, q, ctxEntity)
	case part == "Keys":
		return s.metaCollection(q, ctxEntity+"/Keys", func() []map[string]any {
			var out []map[string]any
			for _, k := range t.Keys {
				out = append(out, keyMetadata(t, k))
			}
			return out
		}, "EntityKeyMetadata")
	case part == "ManyToOneRelationships":
		return s.metaCollection(q, ctxEntity+"/ManyToOneRelationships", func() []map[string]any { return s.manyToOne(t) }, "OneToManyRelationshipMetadata")
	case part == "OneToManyRelationships":
		return s.metaCollection(q, ctxEntity+"/OneToManyRelationships", func() []map[string]any { return s.oneToMany(t) }, "OneToManyRelationshipMetadata")
	}
	return errorResponse(errResourceNotFound(part))
}

func nonNil(items []any) []any {
	if items == nil {
		return []any{}
	}
	return items
}

func selSuffix(q *metaQuery) string {
	if q == nil || len(q.sel) == 0 {
		return ""
	}
	return "(" + strings.Join(q.sel, ",") + ")"
}

func (s *Server) tableByMetadataKey(pred string) *Table {
	if name, ok := strings.CutPrefix(pred, "LogicalName="); ok {
		t, _ := s.schema.table(strings.Trim(name, "'"))
		return t
	}
	id, ok := guid.Parse(strings.TrimPrefix(pred, "MetadataId="))
	if !ok {
		return nil
	}
	for _, t := range s.schema.tables {
		if t.MetadataID == id {
			return t
		}
	}
	return nil
}

func (s *Server) metaCollection(q *metaQuery, ctx string, list func() []map[string]any, typeName string) *apiResponse {
	var items []any
	for _, m := range list() {
		if !q.matches(m) {
			continue
		}
		shaped, err := q.shape(m, typeName)
		if err != nil {
			return errorResponse(err)
		}
		items = append(items, shaped)
	}
	return marshalResponse(http.StatusOK, map[string]any{"@odata.context": ctx + selSuffix(q), "value": nonNil(items)})
}

// entityWithExpands builds one table's metadata with $expand applied; nil when the filter excludes it.
func (s *Server) entityWithExpands(t *Table, q *metaQuery) (map[string]any, *apiError) {
	m := s.entityMetadata(t)
	if !q.matches(m) {
		return nil, nil
	}
	out, err := q.shape(m, "EntityMetadata")
	if err != nil {
		return nil, err
	}
	for name, sub := range q.expand {
		var list []map[string]any
		switch name {
		case "Attributes":
			for i, c := range t.Columns {
				list = append(list, attributeMetadata(t, c, i))
			}
			for ename := range sub.expand {
				return nil, errPropertyNotFound(ename, "AttributeMetadata")
			}
		case "Keys":
			for _, k := range t.Keys {
				list = append(list, keyMetadata(t, k))
			}
		case "ManyToOneRelationships":
			list = s.manyToOne(t)
		case "OneToManyRelationships":
			list = s.oneToMany(t)
		default:
			return nil, errPropertyNotFound(name, "EntityMetadata")
		}
		var items []any
		for _, item := range list {
			if !sub.matches(item) {
				continue
			}
			shaped, err := sub.shape(item, "AttributeMetadata")
			if err != nil {
				return nil, err
			}
			items = append(items, shaped)
		}
		out[name] = nonNil(items)
	}
	return out, nil
}

// handleAttributes answers Attributes, Attributes(LogicalName='x'), and their Microsoft.Dynamics.CRM.<Type> casts.
func (s *Server) handleAttributes(t *Table, part, cast string, q *metaQuery, ctxEntity string) *apiResponse {
	castType := ""
	if cast != "" {
		var ok bool
		castType, ok = strings.CutPrefix(cast, "Microsoft.Dynamics.CRM.")
		if !ok {
			return errorResponse(errResourceNotFound(cast))
		}
		if castType == "EnumAttributeMetadata" || !strings.HasSuffix(castType, "AttributeMetadata") {
			return errorResponse(errBadRequest(codeInvalidQuery, "The type 'Microsoft.Dynamics.CRM.%s' cannot be used as a type cast of Attributes.", castType))
		}
	}
	for name := range q.expand {
		if (name != "OptionSet" && name != "GlobalOptionSet") || !optionSetTypes[castType] {
			typ := castType
			if typ == "" {
				typ = "AttributeMetadata"
			}
			return errorResponse(errPropertyNotFound(name, typ))
		}
	}
	build := func(i int, c *Column) map[string]any {
		m := attributeMetadata(t, c, i)
		metaType, _, _ := attributeClass(c)
		if castType != "" && metaType != castType {
			return nil
		}
		if _, ok := q.expand["OptionSet"]; ok {
			m["OptionSet"] = optionSetMetadata(t, c)
		}
		if _, ok := q.expand["GlobalOptionSet"]; ok {
			m["GlobalOptionSet"] = nil
		}
		return m
	}
	shape := func(m map[string]any) (map[string]any, *apiError) {
		out, err := q.shape(m, "AttributeMetadata")
		if err != nil {
			return nil, err
		}
		for _, nav := range []string{"OptionSet", "GlobalOptionSet"} {
			if v, ok := m[nav]; ok {
				if sub := q.expand[nav]; sub != nil && v != nil && len(sub.sel) > 0 {
					shaped, err := sub.shape(v.(map[string]any), "OptionSetMetadata")
					if err != nil {
						return nil, err
					}
					v = shaped
				}
				out[nav] = v
			}
		}
		return out, nil
	}
	castSuffix := ""
	if castType != "" {
		castSuffix = "/Microsoft.Dynamics.CRM." + castType
	}
	if strings.HasPrefix(part, "Attributes(") {
		pred := strings.TrimSuffix(strings.TrimPrefix(part, "Attributes("), ")")
		for i, c := range t.Columns {
			if pred == "LogicalName='"+c.LogicalName+"'" || strings.Trim(strings.TrimPrefix(pred, "MetadataId="), "'") == c.MetadataID {
				m := build(i, c)
				if m == nil {
					return errorResponse(errBadRequest(codeInvalidQuery, "The attribute '%s' is not of type 'Microsoft.Dynamics.CRM.%s'.", c.LogicalName, castType))
				}
				out, err := shape(m)
				if err != nil {
					return errorResponse(err)
				}
				out["@odata.context"] = ctxEntity + "/Attributes(" + pred + ")" + castSuffix + selSuffix(q) + "/$entity"
				return marshalResponse(http.StatusOK, out)
			}
		}
		return errorResponse(newAPIError(http.StatusNotFound, codeObjectDoesNotExist, "Could not find attribute with key %s.", pred))
	}
	var items []any
	for i, c := range t.Columns {
		m := build(i, c)
		if m == nil || !q.matches(m) {
			continue
		}
		out, err := shape(m)
		if err != nil {
			return errorResponse(err)
		}
		items = append(items, out)
	}
	return marshalResponse(http.StatusOK, map[string]any{"@odata.context": ctxEntity + "/Attributes" + castSuffix + selSuffix(q), "value": nonNil(items)})
}

// handleServiceDocument lists the entity sets.
func (s *Server) handleServiceDocument(req *apiRequest) *apiResponse {
	var sets []any
	for _, t := range s.schema.tables {
		sets = append(sets, map[string]any{"name": t.EntitySetName, "kind": "EntitySet", "url": t.EntitySetName})
	}
	sets = append(sets, map[string]any{"name": "EntityDefinitions", "kind": "EntitySet", "url": "EntityDefinitions"})
	sets = append(sets, map[string]any{"name": "sdkmessagefilters", "kind": "EntitySet", "url": "sdkmessagefilters"})
	sort.Slice(sets, func(i, j int) bool {
		return sets[i].(map[string]any)["name"].(string) < sets[j].(map[string]any)["name"].(string)
	})
	sets = append(sets, map[string]any{"name": "WhoAmI", "kind": "FunctionImport", "url": "WhoAmI"})
	return marshalResponse(http.StatusOK, map[string]any{"@odata.context": req.root + "/$metadata", "value": sets})
}

// handleWhoAmI answers GET WhoAmI.
func (s *Server) handleWhoAmI(req *apiRequest) *apiResponse {
	resp := marshalResponse(http.StatusOK, map[string]any{
		"@odata.context": req.root + "/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
		"BusinessUnitId": s.buID, "UserId": req.user.systemUserID, "OrganizationId": s.orgID,
	})
	resp.op = "whoami"
	return resp
}

// handleMessageFilters serves the sdkmessagefilters rows that say which tables support CreateMultiple and
// UpdateMultiple (the documented probe for bulk operation support).
func (s *Server) handleMessageFilters(req *apiRequest) *apiResponse {
	if req.method != http.MethodGet {
		return errorResponse(errMethodNotAllowed(req.method))
	}
	aliases := map[string]string{}
	for k, v := range req.query {
		if strings.HasPrefix(k, "@") && len(v) > 0 {
			aliases[k[1:]] = v[0]
		}
	}
	var f filterNode
	if text := req.query.Get("$filter"); text != "" {
		var err *apiError
		if f, err = parseFilter(text, aliases); err != nil {
			return errorResponse(err)
		}
	}
	var items []any
	for _, t := range s.schema.tables {
		if !t.BulkOperations {
			continue
		}
		for _, msg := range []string{"CreateMultiple", "UpdateMultiple"} {
			row := map[string]any{"sdkmessagefilterid": stableID("sdkmessagefilter", msg, t.LogicalName), "primaryobjecttypecode": t.LogicalName,
				"secondaryobjecttypecode": "none", "isvisible": true, "iscustomprocessingstepallowed": true,
				"sdkmessageid": map[string]any{"name": msg}}
			if f != nil && !evalFilter(f, mapGetter(row)) {
				continue
			}
			delete(row, "sdkmessageid")
			row["@odata.etag"] = `W/"1"`
			row["_sdkmessageid_value"] = stableID("sdkmessage", msg)
			items = append(items, row)
		}
	}
	return marshalResponse(http.StatusOK, map[string]any{"@odata.context": req.root + "/$metadata#sdkmessagefilters", "value": nonNil(items)})
}

// metadataInt renders a range bound of a whole-number column. A big
// integer's bounds are ±2⁶³, which float64 holds only rounded up to 2⁶³:
// converting that to int64 overflows (to the minimum, on amd64), and the
// column would claim a maximum below its minimum.
func metadataInt(f float64) int64 {
	switch {
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}
