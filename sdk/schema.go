package sdk

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"
)

// Schema describes the body of a plugin's block in a pipeline file: its
// attributes and nested blocks. It is derived from the plugin's configuration
// struct by [SchemaOf] and drives both decoding and documentation.
type Schema struct {
	Attributes []*Attribute
	Blocks     []*Block
}

// Attribute is one `name = value` line of a block.
type Attribute struct {
	Name     string
	Type     Type
	Required bool
	// Sensitive attributes hold secrets: the engine redacts their values in
	// every log line, error and summary.
	Sensitive bool
	// Default is the value used when the attribute is absent, as written in
	// the struct tag, or empty for the type's zero value.
	Default string
	Doc     string
	// Example is an HCL expression showing a typical value.
	Example string
}

// Block is a nested block: `auth { … }`, or `rule "email" { … }` repeated.
type Block struct {
	Name string
	// Labels names the block's labels, if it has any.
	Labels   []string
	Repeated bool
	Required bool
	Doc      string
	// Body is the block's own schema. It is nil for a block of free-form
	// attributes, such as `mapping { firstname = "first_name" }`, whose
	// attributes all have type Attrs.
	Body  *Schema
	Attrs *Type
}

// Attribute returns the attribute called name, or nil.
func (s *Schema) Attribute(name string) *Attribute {
	for _, a := range s.Attributes {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// Block returns the nested block type called name, or nil.
func (s *Schema) Block(name string) *Block {
	for _, b := range s.Blocks {
		if b.Name == name {
			return b
		}
	}
	return nil
}

// TypeKind enumerates the kinds of configuration values.
type TypeKind uint8

// Configuration value kinds. Expressions and durations are written as strings
// in pipeline files.
const (
	TypeString TypeKind = iota + 1
	TypeInt
	TypeFloat
	TypeBool
	TypeDuration
	TypeExpr
	TypeAny
	TypeList
	TypeMap
)

// String names the kind as `sluice plugins describe` and a plugin binary's
// describe do: "string", "integer", "list"…
func (k TypeKind) String() string {
	switch k {
	case TypeString:
		return "string"
	case TypeInt:
		return "integer"
	case TypeFloat:
		return "number"
	case TypeBool:
		return "bool"
	case TypeDuration:
		return "duration"
	case TypeExpr:
		return "expression"
	case TypeAny:
		return "any"
	case TypeList:
		return "list"
	case TypeMap:
		return "map"
	}
	return "invalid"
}

// UnmarshalJSON reads a kind as a number, as the wire protocol sends it,
// or by name, as a plugin binary's describe prints it. Kinds are written
// as numbers still: an engine that predates names reads a plugin's schema
// with encoding/json's own decoding.
func (k *TypeKind) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		var n uint8
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("a type kind is a name or a number, not %s", b)
		}
		*k = TypeKind(n)
		return nil
	}
	for c := TypeString; c <= TypeMap; c++ {
		if c.String() == name {
			*k = c
			return nil
		}
	}
	return fmt.Errorf("unknown type kind %q", name)
}

// Type is the type of a configuration value.
type Type struct {
	Kind TypeKind
	// Elem is the element type of a list or map.
	Elem *Type
}

func (t Type) String() string {
	if (t.Kind == TypeList || t.Kind == TypeMap) && t.Elem != nil {
		return t.Kind.String() + "(" + t.Elem.String() + ")"
	}
	return t.Kind.String()
}

// Cty is the HCL value type the engine converts the attribute's value to.
func (t Type) Cty() cty.Type {
	switch t.Kind {
	case TypeString, TypeDuration, TypeExpr:
		return cty.String
	case TypeInt, TypeFloat:
		return cty.Number
	case TypeBool:
		return cty.Bool
	case TypeList:
		return cty.List(t.Elem.Cty())
	case TypeMap:
		return cty.Map(t.Elem.Cty())
	}
	return cty.DynamicPseudoType
}

// ReservedNames are attribute and block names the engine gives meaning to in
// every plugin block; a plugin's configuration cannot use them.
var ReservedNames = []string{"input", "rejects", "max_rejects", "batch", "max_in_flight"}

var (
	exprType     = reflect.TypeFor[Expr]()
	durationType = reflect.TypeFor[time.Duration]()
)

// SchemaOf derives the configuration schema from a struct type. Each exported
// field that is part of the configuration carries a tag
//
//	`sluice:"name[,required][,sensitive][,block][,label]"`
//
// and optionally `doc:"…"`, `default:"…"` and `example:"…"`. Field types map to
// configuration types: string, Expr, bool, int (and sized ints), float64,
// time.Duration (written as "30s"), []T, map[string]T and any. A field marked
// block is a nested block: a struct or pointer to struct for a block that
// appears at most once, a slice of structs for a repeated block, and a
// map[string]T for a block of free-form attributes. Inside a block struct, a
// string field marked label receives a block label.
func SchemaOf(t reflect.Type) (*Schema, error) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("configuration type %s is not a struct", t)
	}
	s, labels, err := schemaOfStruct(t, true)
	if err != nil {
		return nil, err
	}
	if len(labels) > 0 {
		return nil, fmt.Errorf("%s: label fields are only allowed in nested block structs", t)
	}
	return s, nil
}

// configField is a struct field that takes part in the configuration.
type configField struct {
	index     []int
	name      string
	required  bool
	sensitive bool
	block     bool
	label     bool
	doc       string
	deflt     string
	example   string
}

func configFields(t reflect.Type) ([]configField, error) {
	var out []configField
	for _, f := range reflect.VisibleFields(t) {
		tag, ok := f.Tag.Lookup("sluice")
		if !ok || !f.IsExported() {
			continue
		}
		parts := strings.Split(tag, ",")
		cf := configField{index: f.Index, name: parts[0], doc: f.Tag.Get("doc"), deflt: f.Tag.Get("default"), example: f.Tag.Get("example")}
		for _, opt := range parts[1:] {
			switch opt {
			case "required":
				cf.required = true
			case "sensitive":
				cf.sensitive = true
			case "block":
				cf.block = true
			case "label":
				cf.label = true
			default:
				return nil, fmt.Errorf("field %s: unknown tag option %q", f.Name, opt)
			}
		}
		if !validConfigName(cf.name) {
			return nil, fmt.Errorf("field %s: %q is not a valid configuration name (lower-case letters, digits, underscores)", f.Name, cf.name)
		}
		out = append(out, cf)
	}
	return out, nil
}

func schemaOfStruct(t reflect.Type, top bool) (*Schema, []string, error) {
	fields, err := configFields(t)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", t, err)
	}
	s := &Schema{}
	var labels []string
	seen := map[string]bool{}
	for _, cf := range fields {
		ft := t.FieldByIndex(cf.index).Type
		if seen[cf.name] {
			return nil, nil, fmt.Errorf("%s: name %q is used twice", t, cf.name)
		}
		seen[cf.name] = true
		if top && slices.Contains(ReservedNames, cf.name) {
			return nil, nil, fmt.Errorf("%s: %q is reserved for the engine", t, cf.name)
		}
		switch {
		case cf.label:
			if ft.Kind() != reflect.String || top {
				return nil, nil, fmt.Errorf("%s: label field %q must be a string in a nested block struct", t, cf.name)
			}
			labels = append(labels, cf.name)
		case cf.block:
			b, err := blockOf(cf, ft)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", t, err)
			}
			s.Blocks = append(s.Blocks, b)
		default:
			typ, err := typeOf(ft)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: attribute %q: %w", t, cf.name, err)
			}
			if cf.deflt != "" {
				if cf.required {
					return nil, nil, fmt.Errorf("%s: attribute %q is required and has a default", t, cf.name)
				}
				if _, err := parseDefault(typ, cf.deflt); err != nil {
					return nil, nil, fmt.Errorf("%s: attribute %q: default: %w", t, cf.name, err)
				}
			}
			s.Attributes = append(s.Attributes, &Attribute{
				Name: cf.name, Type: typ, Required: cf.required, Sensitive: cf.sensitive,
				Default: cf.deflt, Doc: cf.doc, Example: cf.example,
			})
		}
	}
	return s, labels, nil
}

func blockOf(cf configField, ft reflect.Type) (*Block, error) {
	b := &Block{Name: cf.name, Required: cf.required, Doc: cf.doc}
	elem := ft
	switch ft.Kind() {
	case reflect.Map:
		if ft.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("block %q: map keys must be strings", cf.name)
		}
		typ, err := typeOf(ft.Elem())
		if err != nil {
			return nil, fmt.Errorf("block %q: %w", cf.name, err)
		}
		b.Attrs = &typ
		return b, nil
	case reflect.Slice:
		b.Repeated = true
		elem = ft.Elem()
	case reflect.Pointer:
		elem = ft.Elem()
	}
	if elem.Kind() != reflect.Struct {
		return nil, fmt.Errorf("block %q: type %s is not a struct, slice of structs or map", cf.name, ft)
	}
	body, labels, err := schemaOfStruct(elem, false)
	if err != nil {
		return nil, err
	}
	if len(labels) > 0 && !b.Repeated {
		return nil, fmt.Errorf("block %q: a labelled block must be a slice, since it can appear once per label", cf.name)
	}
	b.Body, b.Labels = body, labels
	return b, nil
}

func typeOf(t reflect.Type) (Type, error) {
	switch {
	case t == exprType:
		return Type{Kind: TypeExpr}, nil
	case t == durationType:
		return Type{Kind: TypeDuration}, nil
	}
	switch t.Kind() {
	case reflect.String:
		return Type{Kind: TypeString}, nil
	case reflect.Bool:
		return Type{Kind: TypeBool}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return Type{Kind: TypeInt}, nil
	case reflect.Float32, reflect.Float64:
		return Type{Kind: TypeFloat}, nil
	case reflect.Interface:
		if t.NumMethod() == 0 {
			return Type{Kind: TypeAny}, nil
		}
	case reflect.Slice:
		elem, err := typeOf(t.Elem())
		if err != nil {
			return Type{}, err
		}
		return Type{Kind: TypeList, Elem: &elem}, nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return Type{}, fmt.Errorf("map keys must be strings")
		}
		elem, err := typeOf(t.Elem())
		if err != nil {
			return Type{}, err
		}
		return Type{Kind: TypeMap, Elem: &elem}, nil
	}
	return Type{}, fmt.Errorf("unsupported field type %s", t)
}

func validConfigName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		if !(r == '_' || (r >= 'a' && r <= 'z') || (i > 0 && r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}
