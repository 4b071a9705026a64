package emulator

import (
	_ "embed"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// defaultTablesHCL holds contact, account, lead, task, systemuser and team, written in the tables file format.
//
//go:embed tables/default.hcl
var defaultTablesHCL []byte

// Tables is a parsed tables file: table definitions to add to (or extend) the emulator's default tables.
type Tables struct {
	file *tablesFile
	name string
}

// tablesFile is the HCL shape of a tables file.
type tablesFile struct {
	Tables []*tableBlock `hcl:"table,block"`
}

type tableBlock struct {
	Name                  string         `hcl:"name,label"`
	SchemaName            *string        `hcl:"schema_name,optional"`
	EntitySet             *string        `hcl:"entity_set,optional"`
	DisplayName           *string        `hcl:"display_name,optional"`
	DisplayCollectionName *string        `hcl:"display_collection_name,optional"`
	PrimaryID             *string        `hcl:"primary_id,optional"`
	PrimaryName           *string        `hcl:"primary_name,optional"`
	ObjectTypeCode        *int           `hcl:"object_type_code,optional"`
	ChangeTracking        *bool          `hcl:"change_tracking,optional"`
	BulkOperations        *bool          `hcl:"bulk_operations,optional"`
	MetadataID            *string        `hcl:"metadata_id,optional"`
	Columns               []*columnBlock `hcl:"column,block"`
	Keys                  []*keyBlock    `hcl:"key,block"`
	RemoveKeys            []string       `hcl:"remove_keys,optional"`
	DefRange              hcl.Range      `hcl:",def_range"`
}

type columnBlock struct {
	Name          string            `hcl:"name,label"`
	Type          string            `hcl:"type"`
	SchemaName    *string           `hcl:"schema_name,optional"`
	DisplayName   *string           `hcl:"display_name,optional"`
	MaxLength     *int              `hcl:"max_length,optional"`
	Format        *string           `hcl:"format,optional"`
	Behavior      *string           `hcl:"behavior,optional"`
	Min           *float64          `hcl:"min,optional"`
	Max           *float64          `hcl:"max,optional"`
	Precision     *int              `hcl:"precision,optional"`
	Options       map[string]int    `hcl:"options,optional"`
	States        map[string]int    `hcl:"states,optional"`
	TrueLabel     *string           `hcl:"true_label,optional"`
	FalseLabel    *string           `hcl:"false_label,optional"`
	Targets       []string          `hcl:"targets,optional"`
	Navigation    map[string]string `hcl:"navigation,optional"`
	Relationships map[string]string `hcl:"relationships,optional"`
	Required      *string           `hcl:"required,optional"`
	ReadOnly      *bool             `hcl:"read_only,optional"`
	CreateOnly    *bool             `hcl:"create_only,optional"`
	Computed      []string          `hcl:"computed,optional"`
	MetadataID    *string           `hcl:"metadata_id,optional"`
	DefRange      hcl.Range         `hcl:",def_range"`
}

type keyBlock struct {
	Name       string    `hcl:"name,label"`
	SchemaName *string   `hcl:"schema_name,optional"`
	Columns    []string  `hcl:"columns"`
	DefRange   hcl.Range `hcl:",def_range"`
}

// LoadTables reads and parses a tables file.
func LoadTables(path string) (*Tables, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read tables file: %w", err)
	}
	return ParseTables(src, path)
}

// ParseTables parses a tables file's HCL source. filename is used in error messages.
func ParseTables(src []byte, filename string) (*Tables, error) {
	p := hclparse.NewParser()
	f, diags := p.ParseHCL(src, filename)
	if diags.HasErrors() {
		return nil, fmt.Errorf("parse tables file: %w", diagsError(diags))
	}
	var tf tablesFile
	if diags := gohcl.DecodeBody(f.Body, nil, &tf); diags.HasErrors() {
		return nil, fmt.Errorf("decode tables file: %w", diagsError(diags))
	}
	return &Tables{file: &tf, name: filename}, nil
}

// pos is where a block starts, as "file:line:column" like every other HCL mistake Sluice reports (hcl.Range's own
// String gives "file:line,column-column").
func pos(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// diagsError reports HCL's errors one per line, each starting with its file:line:column.
func diagsError(diags hcl.Diagnostics) error {
	var lines []string
	for _, d := range diags.Errs() {
		var line string
		if hd, ok := d.(*hcl.Diagnostic); ok {
			line = hd.Summary
			if hd.Detail != "" {
				line += "; " + hd.Detail
			}
			if hd.Subject != nil {
				line = pos(*hd.Subject) + ": " + line
			}
		} else {
			line = d.Error()
		}
		lines = append(lines, line)
	}
	return fmt.Errorf("%s", strings.Join(lines, "\n"))
}

func defaultTables() ([]*Table, error) {
	def, err := ParseTables(defaultTablesHCL, "default.hcl")
	if err != nil {
		return nil, err
	}
	return mergeTables(nil, def)
}

// mergeTables applies a tables file to base: new tables are added, existing ones extended (columns added or replaced,
// keys added or removed, names overridden).
func mergeTables(base []*Table, extra *Tables) ([]*Table, error) {
	byName := map[string]*Table{}
	for _, t := range base {
		byName[t.LogicalName] = t
	}
	out := base
	for _, tb := range extra.file.Tables {
		t, exists := byName[tb.Name]
		if !exists {
			t = newTableFromBlock(tb)
			t.source = pos(tb.DefRange)
			byName[tb.Name] = t
			out = append(out, t)
		}
		if err := applyTableBlock(t, tb, !exists); err != nil {
			return nil, err // it says where
		}
	}
	return out, nil
}

func newTableFromBlock(tb *tableBlock) *Table {
	name := tb.Name
	prefix := name
	if i := strings.Index(name, "_"); i > 0 {
		prefix = name[:i]
	}
	t := &Table{
		LogicalName:    name,
		SchemaName:     name,
		EntitySetName:  name + "s",
		DisplayName:    name,
		PrimaryID:      name + "id",
		PrimaryName:    prefix + "_name",
		ChangeTracking: true,
		BulkOperations: true,
		IsCustom:       true,
	}
	if strings.HasSuffix(name, "s") || strings.HasSuffix(name, "x") {
		t.EntitySetName = name + "es"
	} else if strings.HasSuffix(name, "y") && len(name) > 1 && !strings.ContainsRune("aeiou", rune(name[len(name)-2])) {
		t.EntitySetName = name[:len(name)-1] + "ies"
	}
	t.DisplayCollectionName = t.EntitySetName
	return t
}

func applyTableBlock(t *Table, tb *tableBlock, isNew bool) error {
	setStr(&t.SchemaName, tb.SchemaName)
	setStr(&t.EntitySetName, tb.EntitySet)
	setStr(&t.DisplayName, tb.DisplayName)
	setStr(&t.DisplayCollectionName, tb.DisplayCollectionName)
	setStr(&t.PrimaryID, tb.PrimaryID)
	setStr(&t.PrimaryName, tb.PrimaryName)
	setStr(&t.MetadataID, tb.MetadataID)
	if tb.ObjectTypeCode != nil {
		t.ObjectTypeCode = *tb.ObjectTypeCode
	}
	if tb.ChangeTracking != nil {
		t.ChangeTracking = *tb.ChangeTracking
	}
	if tb.BulkOperations != nil {
		t.BulkOperations = *tb.BulkOperations
	}
	for _, cb := range tb.Columns {
		c, err := columnFromBlock(cb, isNew || t.IsCustom)
		if err != nil {
			return fmt.Errorf("%s: table %q: column %q: %w", pos(cb.DefRange), tb.Name, cb.Name, err)
		}
		c.source = pos(cb.DefRange)
		replaced := false
		for i, old := range t.Columns {
			if old.LogicalName == c.LogicalName {
				t.Columns[i] = c
				replaced = true
			}
		}
		if !replaced {
			t.Columns = append(t.Columns, c)
		}
	}
	for _, name := range tb.RemoveKeys {
		kept := t.Keys[:0]
		for _, k := range t.Keys {
			if k.LogicalName != name {
				kept = append(kept, k)
			}
		}
		t.Keys = kept
	}
	for _, kb := range tb.Keys {
		k := &Key{LogicalName: kb.Name, SchemaName: kb.Name, Columns: kb.Columns, source: pos(kb.DefRange)}
		setStr(&k.SchemaName, kb.SchemaName)
		for i, old := range t.Keys {
			if old.LogicalName == k.LogicalName {
				t.Keys = append(t.Keys[:i], t.Keys[i+1:]...)
				break
			}
		}
		t.Keys = append(t.Keys, k)
	}
	if isNew {
		ensureSystemColumns(t)
	}
	return nil
}

// ensureSystemColumns adds the columns every Dataverse table has when a new table does not declare them.
func ensureSystemColumns(t *Table) {
	has := func(name string) bool {
		for _, c := range t.Columns {
			if c.LogicalName == name {
				return true
			}
		}
		return false
	}
	add := func(c *Column) {
		if !has(c.LogicalName) {
			t.Columns = append(t.Columns, c)
		}
	}
	add(&Column{LogicalName: t.PrimaryID, SchemaName: t.PrimaryID, DisplayName: t.DisplayName, Type: TypeUniqueID, CreateOnly: true, RequiredLevel: "SystemRequired", IsCustom: true})
	if t.PrimaryName != "" {
		add(&Column{LogicalName: t.PrimaryName, SchemaName: t.PrimaryName, DisplayName: "Name", Type: TypeString, MaxLength: 100, Format: "Text", RequiredLevel: "ApplicationRequired", IsCustom: true})
	}
	add(&Column{LogicalName: "createdon", SchemaName: "CreatedOn", DisplayName: "Created On", Type: TypeDateTime, Format: "DateAndTime", Behavior: "UserLocal", ReadOnly: true, RequiredLevel: "None"})
	add(&Column{LogicalName: "modifiedon", SchemaName: "ModifiedOn", DisplayName: "Modified On", Type: TypeDateTime, Format: "DateAndTime", Behavior: "UserLocal", ReadOnly: true, RequiredLevel: "None"})
	add(&Column{LogicalName: "overriddencreatedon", SchemaName: "OverriddenCreatedOn", DisplayName: "Record Created On", Type: TypeDateTime, Format: "DateOnly", Behavior: "UserLocal", CreateOnly: true, RequiredLevel: "None"})
	add(&Column{LogicalName: "versionnumber", SchemaName: "VersionNumber", DisplayName: "Version Number", Type: TypeBigInt, ReadOnly: true, RequiredLevel: "None", MinValue: -9223372036854775808, MaxValue: 9223372036854775807})
	add(&Column{LogicalName: "createdby", SchemaName: "CreatedBy", DisplayName: "Created By", Type: TypeLookup, Targets: []string{"systemuser"}, ReadOnly: true, RequiredLevel: "None",
		Relationships: map[string]string{"systemuser": "lk_" + t.LogicalName + "_createdby"}})
	add(&Column{LogicalName: "modifiedby", SchemaName: "ModifiedBy", DisplayName: "Modified By", Type: TypeLookup, Targets: []string{"systemuser"}, ReadOnly: true, RequiredLevel: "None",
		Relationships: map[string]string{"systemuser": "lk_" + t.LogicalName + "_modifiedby"}})
	add(&Column{LogicalName: "ownerid", SchemaName: "OwnerId", DisplayName: "Owner", Type: TypeOwner, Targets: []string{"systemuser", "team"}, RequiredLevel: "SystemRequired",
		Navigation:    map[string]string{"systemuser": "ownerid", "team": "ownerid"},
		Relationships: map[string]string{"systemuser": "user_" + t.LogicalName, "team": "team_" + t.LogicalName}})
	add(&Column{LogicalName: "statecode", SchemaName: "statecode", DisplayName: "Status", Type: TypeState, RequiredLevel: "SystemRequired",
		Options: []Option{{Value: 0, Label: "Active"}, {Value: 1, Label: "Inactive"}}})
	add(&Column{LogicalName: "statuscode", SchemaName: "statuscode", DisplayName: "Status Reason", Type: TypeStatus, RequiredLevel: "None",
		Options: []Option{{Value: 1, Label: "Active", State: 0}, {Value: 2, Label: "Inactive", State: 1}}})
}

func setStr(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

var stringFormats = map[string]string{"text": "Text", "email": "Email", "phone": "Phone", "url": "Url", "textarea": "TextArea", "ticker": "TickerSymbol"}
var requiredLevels = map[string]string{"none": "None", "recommended": "Recommended", "application": "ApplicationRequired", "system": "SystemRequired"}
var dateBehaviors = map[string]string{"user_local": "UserLocal", "date_only": "DateOnly", "time_zone_independent": "TimeZoneIndependent"}

func columnFromBlock(cb *columnBlock, custom bool) (*Column, error) {
	c := &Column{
		LogicalName:   cb.Name,
		SchemaName:    cb.Name,
		DisplayName:   cb.Name,
		Type:          ColumnType(cb.Type),
		RequiredLevel: "None",
		Targets:       cb.Targets,
		Navigation:    cb.Navigation,
		Relationships: cb.Relationships,
		Computed:      cb.Computed,
		IsCustom:      custom,
	}
	setStr(&c.SchemaName, cb.SchemaName)
	setStr(&c.DisplayName, cb.DisplayName)
	setStr(&c.MetadataID, cb.MetadataID)
	if cb.ReadOnly != nil {
		c.ReadOnly = *cb.ReadOnly
	}
	if cb.CreateOnly != nil {
		c.CreateOnly = *cb.CreateOnly
	}
	if len(c.Computed) > 0 {
		c.ReadOnly = true
	}
	if cb.Required != nil {
		lvl, ok := requiredLevels[*cb.Required]
		if !ok {
			return nil, fmt.Errorf("required must be one of none, recommended, application, system; got %q", *cb.Required)
		}
		c.RequiredLevel = lvl
	}
	intRange := func(min, max float64) {
		c.MinValue, c.MaxValue = min, max
		if cb.Min != nil {
			c.MinValue = *cb.Min
		}
		if cb.Max != nil {
			c.MaxValue = *cb.Max
		}
	}
	switch c.Type {
	case TypeString:
		c.MaxLength, c.Format = 100, "Text"
		if cb.Format != nil {
			f, ok := stringFormats[*cb.Format]
			if !ok {
				return nil, fmt.Errorf("format must be one of text, email, phone, url, textarea, ticker; got %q", *cb.Format)
			}
			c.Format = f
		}
	case TypeMemo:
		c.MaxLength, c.Format = 2000, "TextArea"
	case TypeInteger:
		intRange(-2147483648, 2147483647)
	case TypeBigInt:
		intRange(-9223372036854775808, 9223372036854775807)
	case TypeDecimal:
		intRange(-100000000000, 100000000000)
		c.Precision = 2
	case TypeDouble:
		intRange(-100000000000, 100000000000)
		c.Precision = 2
	case TypeMoney:
		intRange(-922337203685477, 922337203685477)
		c.Precision = 2
	case TypeBoolean:
		c.TrueLabel, c.FalseLabel = "Yes", "No"
		setStr(&c.TrueLabel, cb.TrueLabel)
		setStr(&c.FalseLabel, cb.FalseLabel)
	case TypeDateTime:
		c.Format, c.Behavior = "DateAndTime", "UserLocal"
		if cb.Format != nil {
			switch *cb.Format {
			case "date":
				c.Format = "DateOnly"
			case "datetime":
			default:
				return nil, fmt.Errorf("datetime format must be date or datetime; got %q", *cb.Format)
			}
		}
		if cb.Behavior != nil {
			b, ok := dateBehaviors[*cb.Behavior]
			if !ok {
				return nil, fmt.Errorf("behavior must be one of user_local, date_only, time_zone_independent; got %q", *cb.Behavior)
			}
			c.Behavior = b
		}
	case TypePicklist, TypeMultiSelect, TypeState, TypeStatus:
		labels := make([]string, 0, len(cb.Options))
		for label := range cb.Options {
			labels = append(labels, label)
		}
		sort.Strings(labels)
		for _, label := range labels {
			o := Option{Value: cb.Options[label], Label: label}
			if c.Type == TypeStatus {
				st, ok := cb.States[label]
				if !ok {
					return nil, fmt.Errorf("status option %q needs its state in states", label)
				}
				o.State = st
			}
			c.Options = append(c.Options, o)
		}
	case TypeLookup, TypeCustomer, TypeOwner:
		if len(c.Targets) == 0 {
			return nil, fmt.Errorf("a %s column needs targets", c.Type)
		}
	case TypeUniqueID:
	default:
		return nil, fmt.Errorf("unknown type %q (want string, memo, integer, bigint, decimal, double, money, boolean, datetime, picklist, multiselect, state, status, lookup, customer, owner or uniqueidentifier)", cb.Type)
	}
	if cb.MaxLength != nil {
		c.MaxLength = *cb.MaxLength
	}
	if cb.Precision != nil {
		c.Precision = *cb.Precision
	}
	return c, nil
}
