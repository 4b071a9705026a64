package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// bindTarget is one "<nav>@odata.bind" value: the record a lookup should point to (nil key clears the lookup).
type bindTarget struct {
	nav   *navProperty
	table *Table
	key   *recordKey
}

// entityChange is a parsed create/update body: converted column values and lookups to resolve.
type entityChange struct {
	values    map[string]any         // column → stored value (nil means null)
	binds     map[string]*bindTarget // lookup column → target
	odataID   string                 // @odata.id (bulk upserts)
	odataType string                 // @odata.type
}

// decodeJSONObject decodes a request body into a JSON object, keeping numbers exact.
func decodeJSONObject(entitySet string, body []byte) (map[string]any, *apiError) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var obj map[string]any
	if err := d.Decode(&obj); err != nil || obj == nil {
		msg := "Microsoft.OData.ODataException: Invalid JSON. A token was not recognized in the JSON content."
		if len(bytes.TrimSpace(body)) == 0 {
			msg = "System.ArgumentNullException: Value cannot be null.\r\nParameter name: entity"
		}
		return nil, errPayload(entitySet, msg)
	}
	return obj, nil
}

// resolveRef turns a "$n" Content-ID reference into the URL it stands for.
type contentIDs map[string]string

func (ids contentIDs) resolve(s string) (string, *apiError) {
	if !strings.HasPrefix(s, "$") {
		return s, nil
	}
	name, rest, _ := strings.Cut(s[1:], "/")
	u, ok := ids[name]
	if !ok {
		return "", errBadRequest(codeNone, "Content-ID Reference: '$%s' does not exist in the batch context.", name)
	}
	if rest != "" {
		u += "/" + rest
	}
	return u, nil
}

// parseEntityBody validates a body against table t. forCreate selects which columns are writable.
func (s *Server) parseEntityBody(t *Table, obj map[string]any, forCreate bool, ids contentIDs) (*entityChange, *apiError) {
	ch := &entityChange{values: make(map[string]any, len(obj)), binds: map[string]*bindTarget{}}
	for name, raw := range obj {
		if strings.HasPrefix(name, "@") {
			switch name {
			case "@odata.type":
				typ, _ := raw.(string)
				typ = strings.TrimPrefix(typ, "#")
				if typ != "Microsoft.Dynamics.CRM."+t.LogicalName && typ != "mscrm."+t.LogicalName {
					return nil, errPayload(t.EntitySetName, fmt.Sprintf("Microsoft.OData.ODataException: A resource with type '%s' was found, but it is not assignable to the expected type 'Microsoft.Dynamics.CRM.%s'. The type specified in the resource must be equal to either the expected type or a derived type.", typ, t.LogicalName))
				}
				ch.odataType = typ
			case "@odata.id":
				id, _ := raw.(string)
				ch.odataID = id
			}
			continue
		}
		if nav, ok := strings.CutSuffix(name, "@odata.bind"); ok {
			bt, err := s.parseBind(t, nav, raw, ids)
			if err != nil {
				return nil, err
			}
			ch.binds[bt.nav.Column.LogicalName] = bt
			continue
		}
		if strings.Contains(name, "@") {
			continue // instance annotations on properties are ignored
		}
		c, ok := t.byName[name]
		if !ok {
			return nil, errInvalidProperty(name, t.LogicalName)
		}
		if c.Type.isLookup() {
			if raw != nil {
				return nil, errInvalidProperty(name, t.LogicalName)
			}
			if c.validForUpdate() || forCreate && c.validForCreate() {
				ch.binds[c.LogicalName] = &bindTarget{nav: &navProperty{Column: c}}
			}
			continue
		}
		if forCreate && !c.validForCreate() || !forCreate && !c.validForUpdate() && !c.IsPrimaryID {
			continue // values of columns not valid for the operation are ignored, as the service does
		}
		v, err := convertInput(t, c, raw)
		if err != nil {
			return nil, err
		}
		ch.values[name] = v
	}
	return ch, nil
}

func (s *Server) parseBind(t *Table, navName string, raw any, ids contentIDs) (*bindTarget, *apiError) {
	nav, ok := t.navs[navName]
	if !ok {
		if _, isCollection := t.collections[navName]; isCollection {
			return nil, errPayload(t.EntitySetName, fmt.Sprintf("Microsoft.OData.ODataException: Binding the collection-valued navigation property '%s' is not supported by the emulator; set the lookup on the related records instead.", navName))
		}
		return nil, errUndeclaredProperty(t.EntitySetName, navName)
	}
	if raw == nil {
		return &bindTarget{nav: nav}, nil
	}
	ref, isString := raw.(string)
	if !isString {
		return nil, errPayload(t.EntitySetName, fmt.Sprintf("Microsoft.OData.ODataException: The value of the 'odata.bind' annotation of the navigation property '%s' must be a string.", navName))
	}
	resolved, aerr := ids.resolve(ref)
	if aerr != nil {
		return nil, aerr
	}
	er, ok := parseEntityRef(resolved)
	if !ok || er.rest != "" {
		return nil, errPayload(t.EntitySetName, fmt.Sprintf("Microsoft.OData.ODataException: The URI '%s' in the 'odata.bind' annotation of the navigation property '%s' is not a valid entity reference.", ref, navName))
	}
	target, ok := s.schema.tableBySet(er.set)
	if !ok {
		return nil, errResourceNotFound(er.set)
	}
	allowed := false
	for _, name := range nav.Targets {
		if name == target.LogicalName {
			allowed = true
		}
	}
	if !allowed {
		return nil, errPayload(t.EntitySetName, fmt.Sprintf("Microsoft.OData.ODataException: A resource of type 'Microsoft.Dynamics.CRM.%s' was found for the navigation property '%s', but the expected type is 'Microsoft.Dynamics.CRM.%s'.", target.LogicalName, navName, strings.Join(nav.Targets, "' or 'Microsoft.Dynamics.CRM.")))
	}
	key, aerr := parseKeyPredicate(target, er.predicate, false)
	if aerr != nil {
		return nil, aerr
	}
	return &bindTarget{nav: nav, table: target, key: key}, nil
}

// writeContext is who writes and when, for the system columns.
type writeContext struct {
	callerID string
	now      time.Time
}

// build applies ch on top of base (nil for a create) and returns the new record's values, checked and completed.
func (s *Server) build(tx *txn, t *Table, base *record, ch *entityChange, id string, wc writeContext) (map[string]any, *apiError) {
	size := len(ch.values) + len(ch.binds) + 12
	if base != nil {
		size += len(base.values)
	}
	values := make(map[string]any, size)
	if base != nil {
		for k, v := range base.values {
			values[k] = v
		}
	}
	for k, v := range ch.values {
		if v == nil {
			delete(values, k)
		} else {
			values[k] = v
		}
	}
	for col, bt := range ch.binds {
		if bt.key == nil {
			delete(values, col)
			continue
		}
		if bt.table == nil {
			// a lookup value taken from an alternate key in the URL: it may point to any of the column's targets
			ref, ok := findLookupTarget(tx, bt.nav.Column, bt.key.id)
			if !ok {
				return nil, errRecordNotFound(bt.nav.Column.Targets[0], bt.key.id)
			}
			values[col] = ref
			continue
		}
		target := tx.s.data(bt.table.LogicalName).find(bt.key)
		if target == nil {
			if bt.key.id != "" {
				return nil, errRecordNotFound(bt.table.LogicalName, bt.key.id)
			}
			return nil, errKeyRecordNotFound(bt.table.LogicalName)
		}
		values[col] = lookupRef{Table: bt.table.LogicalName, ID: target.id}
	}
	if err := applyStateStatus(t, values, ch); err != nil {
		return nil, err
	}
	now := wc.now
	values[t.PrimaryID] = id
	caller := lookupRef{Table: "systemuser", ID: wc.callerID}
	if base == nil {
		created := now
		if o, ok := values["overriddencreatedon"].(time.Time); ok {
			created = o
		}
		values["createdon"] = created
		values["createdby"] = caller
		if _, ok := values["ownerid"]; !ok && t.byName["ownerid"] != nil {
			values["ownerid"] = caller
		}
		for _, c := range t.Columns {
			if _, set := values[c.LogicalName]; !set && c.Type == TypeBoolean && !c.ReadOnly {
				values[c.LogicalName] = false
			}
		}
	}
	values["modifiedon"] = now
	values["modifiedby"] = caller
	for _, c := range t.Columns {
		if len(c.Computed) > 0 {
			var parts []string
			for _, name := range c.Computed {
				if v, ok := values[name].(string); ok && strings.TrimSpace(v) != "" {
					parts = append(parts, strings.TrimSpace(v))
				}
			}
			if len(parts) == 0 {
				delete(values, c.LogicalName)
			} else {
				values[c.LogicalName] = strings.Join(parts, " ")
			}
		}
		if c.RequiredLevel == "SystemRequired" && values[c.LogicalName] == nil && !c.IsPrimaryID {
			return nil, newAPIError(http.StatusBadRequest, codeRequiredAttribute,
				"A validation error occurred.  The value for the '%s' attribute of the '%s' entity is required and cannot be null.", c.LogicalName, t.LogicalName)
		}
	}
	if err := s.faults.checkRecord(t, values); err != nil {
		return nil, err
	}
	return values, nil
}

// applyStateStatus keeps statecode and statuscode consistent: a state alone gets its default status, a status alone
// moves the record to the status's state, and a pair that does not belong together is rejected.
func applyStateStatus(t *Table, values map[string]any, ch *entityChange) *apiError {
	stateCol, statusCol := t.byName["statecode"], t.byName["statuscode"]
	if stateCol == nil || statusCol == nil {
		return nil
	}
	_, stateSet := ch.values["statecode"]
	_, statusSet := ch.values["statuscode"]
	if values["statecode"] == nil {
		values["statecode"] = int64(0)
	}
	state := values["statecode"].(int64)
	switch {
	case stateSet && !statusSet:
		if st, ok := statusCol.defaultStatus(int(state)); ok {
			values["statuscode"] = int64(st)
		}
	case statusSet && values["statuscode"] != nil:
		o, _ := statusCol.option(int(values["statuscode"].(int64)))
		if stateSet && int64(o.State) != state {
			so, _ := stateCol.option(int(state))
			return newAPIError(http.StatusBadRequest, codeOutOfRange, "%d is not a valid status code for state code %s on %s.", o.Value, strings.ReplaceAll(so.Label, " ", ""), t.LogicalName)
		}
		values["statecode"] = int64(o.State)
	}
	if values["statuscode"] == nil {
		if st, ok := statusCol.defaultStatus(int(values["statecode"].(int64))); ok {
			values["statuscode"] = int64(st)
		}
	}
	return nil
}

// forUpdate returns the change without the columns an update may not set (parsed once for an upsert that may turn
// out to be either).
func (ch *entityChange) forUpdate(t *Table) *entityChange {
	out := &entityChange{values: make(map[string]any, len(ch.values)), binds: make(map[string]*bindTarget, len(ch.binds)), odataID: ch.odataID, odataType: ch.odataType}
	for k, v := range ch.values {
		if c := t.byName[k]; c != nil && c.validForUpdate() {
			out.values[k] = v
		}
	}
	for k, v := range ch.binds {
		if c := t.byName[k]; c != nil && c.validForUpdate() {
			out.binds[k] = v
		}
	}
	return out
}

// findLookupTarget finds which of a lookup column's target tables holds the record with this id.
func findLookupTarget(tx *txn, c *Column, id string) (lookupRef, bool) {
	for _, target := range c.Targets {
		if r := tx.s.data(target).records[id]; r != nil {
			return lookupRef{Table: target, ID: r.id}, true
		}
	}
	return lookupRef{}, false
}
