package emulator

import (
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"
)

// ColumnType is the kind of a table column, named as in the tables file. It maps onto a Dataverse AttributeType.
type ColumnType string

// Column types supported by the emulator.
const (
	TypeString      ColumnType = "string"
	TypeMemo        ColumnType = "memo"
	TypeInteger     ColumnType = "integer"
	TypeBigInt      ColumnType = "bigint"
	TypeDecimal     ColumnType = "decimal"
	TypeDouble      ColumnType = "double"
	TypeMoney       ColumnType = "money"
	TypeBoolean     ColumnType = "boolean"
	TypeDateTime    ColumnType = "datetime"
	TypePicklist    ColumnType = "picklist"
	TypeMultiSelect ColumnType = "multiselect"
	TypeState       ColumnType = "state"
	TypeStatus      ColumnType = "status"
	TypeLookup      ColumnType = "lookup"
	TypeCustomer    ColumnType = "customer"
	TypeOwner       ColumnType = "owner"
	TypeUniqueID    ColumnType = "uniqueidentifier"
)

func (t ColumnType) isLookup() bool { return t == TypeLookup || t == TypeCustomer || t == TypeOwner }
func (t ColumnType) hasOptions() bool {
	return t == TypePicklist || t == TypeMultiSelect || t == TypeState || t == TypeStatus
}

// Option is one choice of a picklist, state or status column.
type Option struct {
	Value int
	Label string
	// State is the statecode a status option belongs to (status columns only).
	State int
}

// Column is one attribute of a table.
type Column struct {
	LogicalName   string
	SchemaName    string
	DisplayName   string
	Type          ColumnType
	MaxLength     int    // string and memo
	Format        string // string: Text, Email, Phone, Url, TextArea; datetime: DateOnly, DateAndTime
	Behavior      string // datetime: UserLocal, DateOnly, TimeZoneIndependent
	MinValue      float64
	MaxValue      float64
	Precision     int
	Options       []Option // sorted by value
	TrueLabel     string
	FalseLabel    string
	Targets       []string          // lookups: target table logical names
	Navigation    map[string]string // lookups: target table → single-valued navigation property
	Relationships map[string]string // lookups: target table → collection navigation property on the target
	RequiredLevel string            // None, Recommended, ApplicationRequired, SystemRequired
	ReadOnly      bool              // neither valid for create nor for update
	CreateOnly    bool              // valid for create, not for update
	Computed      []string          // full-name style concatenation of these columns
	IsPrimaryID   bool
	IsPrimaryName bool
	IsCustom      bool
	MetadataID    string
	source        string // where the tables file defines it ("file:line:column"), for errors
}

func (c *Column) validForCreate() bool { return !c.ReadOnly }
func (c *Column) validForUpdate() bool { return !c.ReadOnly && !c.CreateOnly && !c.IsPrimaryID }

// option returns the option with this value.
func (c *Column) option(v int) (Option, bool) {
	for _, o := range c.Options {
		if o.Value == v {
			return o, true
		}
	}
	return Option{}, false
}

func (c *Column) acceptedValues() string {
	parts := make([]string, len(c.Options))
	for i, o := range c.Options {
		parts[i] = fmt.Sprint(o.Value)
	}
	return strings.Join(parts, ",")
}

// defaultStatus is the status a record gets when only its state is set: the lowest status value of that state.
func (c *Column) defaultStatus(state int) (int, bool) {
	for _, o := range c.Options {
		if o.State == state {
			return o.Value, true
		}
	}
	return 0, false
}

// Key is an alternate key.
type Key struct {
	LogicalName string
	SchemaName  string
	Columns     []string
	MetadataID  string
	source      string
}

// navProperty is a single-valued navigation property: the lookup column it sets and the tables it may point to.
type navProperty struct {
	Name    string
	Column  *Column
	Targets []string
}

// collectionNav is a collection-valued navigation property: the records of Referencing whose Column points here.
type collectionNav struct {
	Name        string
	Referencing *Table
	Column      *Column
}

// Table is a table definition: its names, columns, alternate keys and navigation properties.
type Table struct {
	LogicalName           string
	SchemaName            string
	EntitySetName         string
	DisplayName           string
	DisplayCollectionName string
	PrimaryID             string
	PrimaryName           string
	ObjectTypeCode        int
	ChangeTracking        bool
	BulkOperations        bool
	IsCustom              bool
	Columns               []*Column
	Keys                  []*Key
	MetadataID            string
	source                string

	byName      map[string]*Column
	lookupByVal map[string]*Column // "_x_value" → lookup column
	navs        map[string]*navProperty
	collections map[string]*collectionNav
}

// Column returns the column with this logical name.
func (t *Table) Column(name string) (*Column, bool) {
	c, ok := t.byName[name]
	return c, ok
}

func (t *Table) primaryID() *Column { return t.byName[t.PrimaryID] }

// schema is the resolved set of tables the emulator serves. It is immutable once built.
type schema struct {
	tables []*Table
	byName map[string]*Table
	bySet  map[string]*Table
}

func (s *schema) table(logical string) (*Table, bool) {
	t, ok := s.byName[logical]
	return t, ok
}

func (s *schema) tableBySet(set string) (*Table, bool) {
	t, ok := s.bySet[set]
	return t, ok
}

// stableID derives a GUID from names, so metadata ids stay the same across restarts.
func stableID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	var b [16]byte
	copy(b[:], sum[:16])
	b[6] = (b[6] & 0x0f) | 0x50
	b[8] = (b[8] & 0x3f) | 0x80
	return formatGUID(b)
}

// buildSchema indexes the tables and derives navigation properties; it reports inconsistencies as errors.
func buildSchema(tables []*Table) (*schema, error) {
	s := &schema{byName: map[string]*Table{}, bySet: map[string]*Table{}}
	for _, t := range tables {
		if _, dup := s.byName[t.LogicalName]; dup {
			return nil, fmt.Errorf("table %q is defined twice", t.LogicalName)
		}
		if other, dup := s.bySet[t.EntitySetName]; dup {
			return nil, at(t.source, fmt.Errorf("tables %q and %q share the entity set name %q", other.LogicalName, t.LogicalName, t.EntitySetName))
		}
		s.byName[t.LogicalName] = t
		s.bySet[t.EntitySetName] = t
		s.tables = append(s.tables, t)
	}
	sort.Slice(s.tables, func(i, j int) bool { return s.tables[i].LogicalName < s.tables[j].LogicalName })
	for _, t := range s.tables {
		t.byName = map[string]*Column{}
		t.lookupByVal = map[string]*Column{}
		t.navs = map[string]*navProperty{}
		if t.collections == nil {
			t.collections = map[string]*collectionNav{}
		}
		if t.MetadataID == "" {
			t.MetadataID = stableID("table", t.LogicalName)
		}
		for _, c := range t.Columns {
			if _, dup := t.byName[c.LogicalName]; dup {
				return nil, fmt.Errorf("table %q: column %q is defined twice", t.LogicalName, c.LogicalName)
			}
			t.byName[c.LogicalName] = c
			if c.MetadataID == "" {
				c.MetadataID = stableID("column", t.LogicalName, c.LogicalName)
			}
			sort.Slice(c.Options, func(i, j int) bool { return c.Options[i].Value < c.Options[j].Value })
		}
		if c, ok := t.byName[t.PrimaryID]; !ok || c.Type != TypeUniqueID {
			return nil, fmt.Errorf("table %q: primary id column %q must exist with type uniqueidentifier", t.LogicalName, t.PrimaryID)
		}
		t.byName[t.PrimaryID].IsPrimaryID = true
		if t.PrimaryName != "" {
			c, ok := t.byName[t.PrimaryName]
			if !ok {
				return nil, fmt.Errorf("table %q: primary name column %q does not exist", t.LogicalName, t.PrimaryName)
			}
			c.IsPrimaryName = true
		}
	}
	for _, t := range s.tables {
		if err := s.linkTable(t); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// at prefixes an error with where the definition is, when known.
func at(source string, err error) error {
	if source == "" {
		return err
	}
	return fmt.Errorf("%s: %w", source, err)
}

func (s *schema) linkTable(t *Table) error {
	for _, c := range t.Columns {
		for _, name := range c.Computed {
			if _, ok := t.byName[name]; !ok {
				return at(c.source, fmt.Errorf("table %q: computed column %q uses unknown column %q", t.LogicalName, c.LogicalName, name))
			}
		}
		if c.Type.hasOptions() && len(c.Options) == 0 {
			return at(c.source, fmt.Errorf("table %q: column %q of type %s needs options", t.LogicalName, c.LogicalName, c.Type))
		}
		if !c.Type.isLookup() {
			continue
		}
		t.lookupByVal["_"+c.LogicalName+"_value"] = c
		if len(c.Targets) == 0 {
			return at(c.source, fmt.Errorf("table %q: lookup column %q has no targets", t.LogicalName, c.LogicalName))
		}
		for _, target := range c.Targets {
			tt, ok := s.byName[target]
			if !ok {
				return at(c.source, fmt.Errorf("table %q: lookup column %q targets unknown table %q", t.LogicalName, c.LogicalName, target))
			}
			nav := c.Navigation[target]
			if nav == "" {
				nav = c.LogicalName
				if len(c.Targets) > 1 {
					nav = c.LogicalName + "_" + target
				}
			}
			if _, clash := t.byName[nav]; clash && nav != c.LogicalName {
				return at(c.source, fmt.Errorf("table %q: navigation property %q clashes with a column", t.LogicalName, nav))
			}
			np := t.navs[nav]
			if np == nil {
				np = &navProperty{Name: nav, Column: c}
				t.navs[nav] = np
			} else if np.Column != c {
				return at(c.source, fmt.Errorf("table %q: navigation property %q is used by two lookups", t.LogicalName, nav))
			}
			np.Targets = append(np.Targets, target)
			rel := c.Relationships[target]
			if rel == "" {
				rel = t.LogicalName + "_" + c.LogicalName + "_" + target
			}
			if tt.collections == nil {
				tt.collections = map[string]*collectionNav{}
			}
			if _, dup := tt.collections[rel]; dup {
				return at(c.source, fmt.Errorf("table %q: relationship %q is defined twice", tt.LogicalName, rel))
			}
			tt.collections[rel] = &collectionNav{Name: rel, Referencing: t, Column: c}
		}
	}
	if len(t.Keys) > 10 {
		return at(t.source, fmt.Errorf("table %q: at most 10 alternate keys are allowed", t.LogicalName))
	}
	for _, k := range t.Keys {
		if len(k.Columns) == 0 || len(k.Columns) > 16 {
			return at(k.source, fmt.Errorf("table %q: key %q must have 1 to 16 columns", t.LogicalName, k.LogicalName))
		}
		if k.MetadataID == "" {
			k.MetadataID = stableID("key", t.LogicalName, k.LogicalName)
		}
		for _, name := range k.Columns {
			c, ok := t.byName[name]
			if !ok {
				return at(k.source, fmt.Errorf("table %q: key %q uses unknown column %q", t.LogicalName, k.LogicalName, name))
			}
			switch c.Type {
			case TypeString, TypeInteger, TypeBigInt, TypeDecimal, TypeDateTime, TypeLookup, TypeCustomer, TypeOwner, TypePicklist:
			default:
				return at(k.source, fmt.Errorf("table %q: key %q: column %q of type %s cannot be part of an alternate key", t.LogicalName, k.LogicalName, name, c.Type))
			}
		}
	}
	return nil
}
