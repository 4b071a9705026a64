package dynamics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// table is what the sink knows of a Dataverse table: its names, its columns
// with everything a value must satisfy, its alternate keys, and the
// navigation property of each lookup target.
type table struct {
	LogicalName   string
	SchemaName    string
	EntitySetName string
	PrimaryID     string
	PrimaryName   string
	Columns       map[string]*column
	Keys          []*altKey
	// BulkCreate and BulkUpdate say whether CreateMultiple and UpdateMultiple
	// (and so UpsertMultiple) are available; set by probeBulk.
	BulkCreate, BulkUpdate bool
	// detailed says the columns' type-specific properties were read.
	detailed bool
}

// column is one attribute of a table.
type column struct {
	LogicalName    string
	Type           string // AttributeType: String, Memo, Integer, Picklist, Lookup, …
	TypeName       string // AttributeTypeName.Value: StringType, MultiSelectPicklistType, …
	RequiredLevel  string // None, SystemRequired, ApplicationRequired, Recommended
	ValidForCreate bool
	ValidForUpdate bool
	AttributeOf    string // set for columns that belong to another (a lookup's name, a yomi)
	MaxLength      int    // String, Memo
	MinValue       *float64
	MaxValue       *float64
	Precision      int
	DateOnly       bool // DateTime with the DateOnly format
	Options        []option
	TrueLabel      string
	FalseLabel     string
	Targets        []string          // lookups
	Navigation     map[string]string // lookups: target table → navigation property
}

type option struct {
	Value  int
	Labels []string // every localized label, the user's first
	// State options: the status a record in this state gets by default,
	// and the state's language-independent name (Active, Inactive, …).
	DefaultStatus *int
	InvariantName string
	// Status options: the state the status belongs to.
	State *int
}

// altKey is an alternate key.
type altKey struct {
	Name    string
	Columns []string
	Status  string // EntityKeyIndexStatus: Active, Pending, InProgress, Failed
}

// Attribute types the sink writes.
const (
	typeString      = "String"
	typeMemo        = "Memo"
	typeInteger     = "Integer"
	typeBigInt      = "BigInt"
	typeDecimal     = "Decimal"
	typeDouble      = "Double"
	typeMoney       = "Money"
	typeBoolean     = "Boolean"
	typeDateTime    = "DateTime"
	typePicklist    = "Picklist"
	typeState       = "State"
	typeStatus      = "Status"
	typeLookup      = "Lookup"
	typeCustomer    = "Customer"
	typeOwner       = "Owner"
	typeUniqueID    = "Uniqueidentifier"
	typeNameMulti   = "MultiSelectPicklistType"
	typeVirtualType = "Virtual"
)

func (c *column) isLookup() bool {
	return c.Type == typeLookup || c.Type == typeCustomer || c.Type == typeOwner
}

func (c *column) isMultiSelect() bool { return c.TypeName == typeNameMulti }

func (c *column) hasOptions() bool {
	return c.Type == typePicklist || c.Type == typeState || c.Type == typeStatus || c.isMultiSelect()
}

// typeLabel names the column's type for messages.
func (c *column) typeLabel() string {
	switch {
	case c.isMultiSelect():
		return "Choices (multi-select)"
	case c.Type == typePicklist:
		return "Choice"
	case c.Type == typeString && c.MaxLength > 0:
		return fmt.Sprintf("Text(%d)", c.MaxLength)
	case c.Type == typeMemo && c.MaxLength > 0:
		return fmt.Sprintf("Multiline text(%d)", c.MaxLength)
	}
	return c.Type
}

// key returns the alternate key with exactly these columns, or nil.
func (t *table) key(cols []string) *altKey {
	for _, k := range t.Keys {
		if len(k.Columns) != len(cols) {
			continue
		}
		all := true
		for _, c := range cols {
			found := false
			for _, kc := range k.Columns {
				found = found || kc == c
			}
			all = all && found
		}
		if all {
			return k
		}
	}
	return nil
}

func (t *table) columnNames() []string {
	names := make([]string, 0, len(t.Columns))
	for n := range t.Columns {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// metadataReader reads table definitions and caches them for the sink's
// life: the mapping is checked against them at Open, and lookups and key
// literals are formatted with them while writing.
type metadataReader struct {
	// get sends a GET through the governor, with retries.
	get func(ctx context.Context, path string) (*response, error)

	mu     sync.Mutex
	tables map[string]*table
}

// errNoTable is returned for a table the environment does not have.
type errNoTable struct {
	name    string
	similar string
}

func (e *errNoTable) Error() string {
	msg := fmt.Sprintf("the environment has no table with logical name %q", e.name)
	if e.similar != "" {
		msg += fmt.Sprintf("; did you mean %q?", e.similar)
	}
	return msg
}

const entitySelect = "LogicalName,SchemaName,EntitySetName,PrimaryIdAttribute,PrimaryNameAttribute"

// table reads a table's definition, with its columns' details when full.
// Lookup targets need only names and keys; the table written needs all.
func (m *metadataReader) table(ctx context.Context, name string, full bool) (*table, error) {
	m.mu.Lock()
	t, ok := m.tables[name]
	m.mu.Unlock()
	if ok && (!full || t.detailed) {
		return t, nil
	}
	q := url.Values{}
	q.Set("$select", entitySelect)
	q.Set("$expand", "Attributes($select=LogicalName,AttributeType,AttributeTypeName,RequiredLevel,IsValidForCreate,IsValidForUpdate,AttributeOf),"+
		"Keys($select=LogicalName,KeyAttributes,EntityKeyIndexStatus),"+
		"ManyToOneRelationships($select=ReferencingAttribute,ReferencedEntity,ReferencingEntityNavigationPropertyName)")
	resp, err := m.get(ctx, "EntityDefinitions(LogicalName='"+url.PathEscape(name)+"')?"+encodeQuery(q))
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound && ae.Code != "0x8006088a" {
			return nil, &errNoTable{name: name, similar: m.similarTable(ctx, name)}
		}
		return nil, fmt.Errorf("reading the definition of table %s: %w", name, err)
	}
	var doc struct {
		LogicalName, SchemaName, EntitySetName, PrimaryIdAttribute, PrimaryNameAttribute string
		Attributes                                                                       []struct {
			LogicalName       string
			AttributeType     string
			AttributeTypeName struct{ Value string }
			RequiredLevel     struct{ Value string }
			IsValidForCreate  *bool
			IsValidForUpdate  *bool
			AttributeOf       *string
		}
		Keys []struct {
			LogicalName          string
			KeyAttributes        []string
			EntityKeyIndexStatus string
		}
		ManyToOneRelationships []struct {
			ReferencingAttribute, ReferencedEntity, ReferencingEntityNavigationPropertyName string
		}
	}
	if err := json.Unmarshal(resp.body, &doc); err != nil {
		return nil, fmt.Errorf("reading the definition of table %s: %w", name, err)
	}
	t = &table{LogicalName: doc.LogicalName, SchemaName: doc.SchemaName, EntitySetName: doc.EntitySetName,
		PrimaryID: doc.PrimaryIdAttribute, PrimaryName: doc.PrimaryNameAttribute, Columns: map[string]*column{}}
	for _, a := range doc.Attributes {
		c := &column{LogicalName: a.LogicalName, Type: a.AttributeType, TypeName: a.AttributeTypeName.Value,
			RequiredLevel: a.RequiredLevel.Value, ValidForCreate: a.IsValidForCreate == nil || *a.IsValidForCreate,
			ValidForUpdate: a.IsValidForUpdate == nil || *a.IsValidForUpdate}
		if a.AttributeOf != nil {
			c.AttributeOf = *a.AttributeOf
		}
		t.Columns[c.LogicalName] = c
	}
	for _, k := range doc.Keys {
		t.Keys = append(t.Keys, &altKey{Name: k.LogicalName, Columns: k.KeyAttributes, Status: k.EntityKeyIndexStatus})
	}
	for _, r := range doc.ManyToOneRelationships {
		if c := t.Columns[r.ReferencingAttribute]; c != nil {
			if c.Navigation == nil {
				c.Navigation = map[string]string{}
			}
			c.Navigation[r.ReferencedEntity] = r.ReferencingEntityNavigationPropertyName
		}
	}
	if full {
		if err := m.readDetails(ctx, t); err != nil {
			return nil, err
		}
		t.detailed = true
	}
	m.mu.Lock()
	if m.tables == nil {
		m.tables = map[string]*table{}
	}
	m.tables[name] = t
	m.mu.Unlock()
	return t, nil
}

// similarTable names the table whose logical name is closest to name, for
// the error message; "" when none is close or the list cannot be read.
func (m *metadataReader) similarTable(ctx context.Context, name string) string {
	resp, err := m.get(ctx, "EntityDefinitions?$select=LogicalName")
	if err != nil {
		return ""
	}
	var doc struct {
		Value []struct{ LogicalName string }
	}
	if json.Unmarshal(resp.body, &doc) != nil {
		return ""
	}
	names := make([]string, len(doc.Value))
	for i, v := range doc.Value {
		names[i] = v.LogicalName
	}
	return closest(name, names)
}

// castQuery is one typed read of a table's attributes: Dataverse returns
// type-specific properties (lengths, option sets, targets) only when the
// Attributes collection is cast to the attribute's metadata type.
type castQuery struct {
	cast  string
	query string
}

var castQueries = []castQuery{
	{"StringAttributeMetadata", "$select=LogicalName,MaxLength"},
	{"MemoAttributeMetadata", "$select=LogicalName,MaxLength"},
	{"IntegerAttributeMetadata", "$select=LogicalName,MinValue,MaxValue"},
	{"BigIntAttributeMetadata", "$select=LogicalName,MinValue,MaxValue"},
	{"DecimalAttributeMetadata", "$select=LogicalName,MinValue,MaxValue,Precision"},
	{"DoubleAttributeMetadata", "$select=LogicalName,MinValue,MaxValue,Precision"},
	{"MoneyAttributeMetadata", "$select=LogicalName,MinValue,MaxValue,Precision"},
	{"DateTimeAttributeMetadata", "$select=LogicalName,Format,DateTimeBehavior"},
	{"PicklistAttributeMetadata", "$select=LogicalName&$expand=OptionSet($select=Options),GlobalOptionSet($select=Options)"},
	{"MultiSelectPicklistAttributeMetadata", "$select=LogicalName&$expand=OptionSet($select=Options),GlobalOptionSet($select=Options)"},
	{"StateAttributeMetadata", "$select=LogicalName&$expand=OptionSet($select=Options)"},
	{"StatusAttributeMetadata", "$select=LogicalName&$expand=OptionSet($select=Options)"},
	{"BooleanAttributeMetadata", "$select=LogicalName&$expand=OptionSet($select=TrueOption,FalseOption)"},
	{"LookupAttributeMetadata", "$select=LogicalName,Targets"},
}

// readDetails runs the cast queries in parallel.
func (m *metadataReader) readDetails(ctx context.Context, t *table) error {
	var wg sync.WaitGroup
	errs := make([]error, len(castQueries))
	var mu sync.Mutex
	for i, cq := range castQueries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := m.get(ctx, "EntityDefinitions(LogicalName='"+url.PathEscape(t.LogicalName)+"')/Attributes/Microsoft.Dynamics.CRM."+cq.cast+"?"+cq.query)
			if err != nil {
				errs[i] = fmt.Errorf("reading the %s columns of table %s: %w", strings.TrimSuffix(cq.cast, "AttributeMetadata"), t.LogicalName, err)
				return
			}
			var doc struct{ Value []attributeDetails }
			if err := json.Unmarshal(resp.body, &doc); err != nil {
				errs[i] = fmt.Errorf("reading the %s columns of table %s: %w", cq.cast, t.LogicalName, err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, d := range doc.Value {
				if c := t.Columns[d.LogicalName]; c != nil {
					d.apply(c)
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

type localizedLabel struct {
	LocalizedLabels    []struct{ Label string }
	UserLocalizedLabel *struct {
		Label string
	}
}

func (l localizedLabel) all() []string {
	var out []string
	if l.UserLocalizedLabel != nil && l.UserLocalizedLabel.Label != "" {
		out = append(out, l.UserLocalizedLabel.Label)
	}
	for _, ll := range l.LocalizedLabels {
		if ll.Label != "" && (len(out) == 0 || out[0] != ll.Label) {
			out = append(out, ll.Label)
		}
	}
	return out
}

type optionSetDoc struct {
	Options []struct {
		Value         int
		Label         localizedLabel
		DefaultStatus *int
		InvariantName string
		State         *int
	}
	TrueOption, FalseOption *struct {
		Value int
		Label localizedLabel
	}
}

type attributeDetails struct {
	LogicalName      string
	MaxLength        *int
	MinValue         *float64
	MaxValue         *float64
	Precision        *int
	Format           *string
	DateTimeBehavior *struct{ Value string }
	Targets          []string
	OptionSet        *optionSetDoc
	GlobalOptionSet  *optionSetDoc
}

func (d *attributeDetails) apply(c *column) {
	if d.MaxLength != nil {
		c.MaxLength = *d.MaxLength
	}
	c.MinValue, c.MaxValue = d.MinValue, d.MaxValue
	if d.Precision != nil {
		c.Precision = *d.Precision
	}
	if d.Format != nil && *d.Format == "DateOnly" || d.DateTimeBehavior != nil && d.DateTimeBehavior.Value == "DateOnly" {
		c.DateOnly = true
	}
	if d.Targets != nil {
		c.Targets = d.Targets
	}
	set := d.OptionSet
	if set == nil || len(set.Options) == 0 && set.TrueOption == nil {
		if d.GlobalOptionSet != nil {
			set = d.GlobalOptionSet
		}
	}
	if set == nil {
		return
	}
	for _, o := range set.Options {
		c.Options = append(c.Options, option{Value: o.Value, Labels: o.Label.all(), DefaultStatus: o.DefaultStatus, InvariantName: o.InvariantName, State: o.State})
	}
	if set.TrueOption != nil {
		c.TrueLabel = first(set.TrueOption.Label.all())
	}
	if set.FalseOption != nil {
		c.FalseLabel = first(set.FalseOption.Label.all())
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// probeBulk asks which bulk messages the table supports, the documented way:
// sdkmessagefilters rows for CreateMultiple and UpdateMultiple. A table that
// has both supports UpsertMultiple too.
func (m *metadataReader) probeBulk(ctx context.Context, t *table) error {
	var wg sync.WaitGroup
	var errCreate, errUpdate error
	probe := func(msg string, out *bool, errOut *error) {
		defer wg.Done()
		q := "sdkmessagefilters?$select=sdkmessagefilterid&$filter=" +
			url.QueryEscape("sdkmessageid/name eq '"+msg+"' and primaryobjecttypecode eq '"+t.LogicalName+"'")
		resp, err := m.get(ctx, q)
		if err != nil {
			*errOut = fmt.Errorf("asking whether table %s supports %s: %w", t.LogicalName, msg, err)
			return
		}
		var doc struct{ Value []json.RawMessage }
		if err := json.Unmarshal(resp.body, &doc); err != nil {
			*errOut = fmt.Errorf("asking whether table %s supports %s: %w", t.LogicalName, msg, err)
			return
		}
		*out = len(doc.Value) > 0
	}
	wg.Add(2)
	go probe("CreateMultiple", &t.BulkCreate, &errCreate)
	go probe("UpdateMultiple", &t.BulkUpdate, &errUpdate)
	wg.Wait()
	return errors.Join(errCreate, errUpdate)
}

// encodeQuery encodes query options the way OData expects: $ and , are left
// alone, spaces are %20.
func encodeQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(k)
			b.WriteByte('=')
			b.WriteString(strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
		}
	}
	return b.String()
}
