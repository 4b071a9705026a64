package sdk

import (
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"time"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// DecodeConfig stores a configuration value into target, a pointer to the
// configuration struct that schema was derived from. Absent attributes get
// the default from their struct tag. Values that do not fit their field — a
// fraction for an integer, a malformed duration — are reported as Diagnostics
// at their path. The engine has already checked the value against the schema;
// DecodeConfig is what turns it into the plugin's typed configuration.
func DecodeConfig(schema *Schema, config cty.Value, target any) error {
	rv := reflect.ValueOf(target)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("sdk: DecodeConfig target must be a pointer to a struct, not %T", target)
	}
	d := &decoder{}
	config, _ = config.UnmarkDeep()
	d.object(nil, schema, config, rv.Elem())
	return d.diags.Err()
}

type decoder struct {
	diags Diagnostics
}

func (d *decoder) errorf(path Path, format string, args ...any) {
	d.diags = append(d.diags, Diagnostic{Severity: Error, Summary: fmt.Sprintf(format, args...), Path: path})
}

// object decodes an object value into the struct dst according to schema.
func (d *decoder) object(path Path, schema *Schema, v cty.Value, dst reflect.Value) {
	fields, err := configFields(dst.Type())
	if err != nil {
		d.errorf(path, "invalid configuration struct: %v", err)
		return
	}
	for _, f := range fields {
		fv := dst.FieldByIndex(f.index)
		child := path.Child(f.name)
		if f.label {
			continue // set by the caller, which knows the labels
		}
		val := attr(v, f.name)
		if f.block {
			if b := schema.Block(f.name); b != nil {
				d.block(child, b, val, fv)
			}
			continue
		}
		a := schema.Attribute(f.name)
		if a == nil {
			continue
		}
		if val.IsNull() {
			if f.deflt == "" {
				continue
			}
			dv, err := parseDefault(a.Type, f.deflt)
			if err != nil {
				d.errorf(child, "invalid default: %v", err)
				continue
			}
			val = dv
		}
		d.value(child, a.Type, val, fv)
	}
}

func (d *decoder) block(path Path, b *Block, v cty.Value, dst reflect.Value) {
	if v.IsNull() {
		return
	}
	if b.Attrs != nil {
		d.value(path, Type{Kind: TypeMap, Elem: b.Attrs}, v, dst)
		return
	}
	if !b.Repeated {
		if dst.Kind() == reflect.Pointer {
			dst.Set(reflect.New(dst.Type().Elem()))
			dst = dst.Elem()
		}
		d.object(path, b.Body, v, dst)
		return
	}
	n := v.LengthInt()
	out := reflect.MakeSlice(dst.Type(), n, n)
	i := 0
	for it := v.ElementIterator(); it.Next(); i++ {
		_, ev := it.Element()
		elemPath := path
		elem := out.Index(i)
		if len(b.Labels) == 0 {
			elemPath = path.Child(strconv.Itoa(i))
		}
		fields, _ := configFields(elem.Type())
		for _, f := range fields {
			if f.label {
				label := attr(ev, f.name)
				if !label.IsNull() && label.Type() == cty.String {
					elem.FieldByIndex(f.index).SetString(label.AsString())
					elemPath = elemPath.Child(label.AsString())
				}
			}
		}
		d.object(elemPath, b.Body, ev, elem)
	}
	dst.Set(out)
}

func (d *decoder) value(path Path, t Type, v cty.Value, dst reflect.Value) {
	if v.IsNull() {
		return
	}
	if !v.IsKnown() {
		d.errorf(path, "value is not known")
		return
	}
	if t.Kind == TypeAny {
		if g := ctyToGo(v); g != nil {
			dst.Set(reflect.ValueOf(g))
		}
		return
	}
	cv := v
	if t.Kind != TypeList && t.Kind != TypeMap {
		var err error
		if cv, err = convert.Convert(v, t.Cty()); err != nil {
			d.errorf(path, "expected %s: %v", t, err)
			return
		}
	} else if !v.CanIterateElements() {
		d.errorf(path, "expected %s, got %s", t, v.Type().FriendlyName())
		return
	}
	switch t.Kind {
	case TypeString:
		dst.SetString(cv.AsString())
	case TypeExpr:
		dst.Set(reflect.ValueOf(Expr{Text: cv.AsString(), Path: path}))
	case TypeBool:
		dst.SetBool(cv.True())
	case TypeInt:
		bf := cv.AsBigFloat()
		i, acc := bf.Int64()
		if acc != big.Exact || dst.OverflowInt(i) {
			d.errorf(path, "expected a whole number that fits in %s, got %s", dst.Type(), bf.Text('g', -1))
			return
		}
		dst.SetInt(i)
	case TypeFloat:
		f, _ := cv.AsBigFloat().Float64()
		dst.SetFloat(f)
	case TypeDuration:
		dur, err := time.ParseDuration(cv.AsString())
		if err != nil {
			d.errorf(path, "invalid duration %q: write a number and a unit, such as \"500ms\", \"30s\" or \"5m\"", cv.AsString())
			return
		}
		dst.SetInt(int64(dur))
	case TypeList:
		n := cv.LengthInt()
		out := reflect.MakeSlice(dst.Type(), n, n)
		i := 0
		for it := cv.ElementIterator(); it.Next(); i++ {
			_, ev := it.Element()
			d.value(path.Child(strconv.Itoa(i)), *t.Elem, ev, out.Index(i))
		}
		dst.Set(out)
	case TypeMap:
		out := reflect.MakeMapWithSize(dst.Type(), cv.LengthInt())
		for it := cv.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			key := k.AsString()
			elem := reflect.New(dst.Type().Elem()).Elem()
			d.value(path.Child(key), *t.Elem, ev, elem)
			out.SetMapIndex(reflect.ValueOf(key), elem)
		}
		dst.Set(out)
	}
}

// attr returns the attribute name of an object value, or null.
func attr(v cty.Value, name string) cty.Value {
	if v.IsNull() || !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return v.GetAttr(name)
}

// ctyToGo converts a value of any type to plain Go: string, bool, int (whole
// numbers) or float64, []any and map[string]any. Null becomes nil.
func ctyToGo(v cty.Value) any {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString()
	case t == cty.Bool:
		return v.True()
	case t == cty.Number:
		bf := v.AsBigFloat()
		if i, acc := bf.Int64(); acc == big.Exact && i == int64(int(i)) {
			return int(i)
		}
		f, _ := bf.Float64()
		return f
	case t.IsObjectType() || t.IsMapType():
		m := make(map[string]any, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			m[k.AsString()] = ctyToGo(ev)
		}
		return m
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		l := make([]any, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			l = append(l, ctyToGo(ev))
		}
		return l
	}
	return nil
}

// parseDefault parses a struct tag default for an attribute of type t.
func parseDefault(t Type, text string) (cty.Value, error) {
	switch t.Kind {
	case TypeString, TypeExpr:
		return cty.StringVal(text), nil
	case TypeDuration:
		if _, err := time.ParseDuration(text); err != nil {
			return cty.NilVal, err
		}
		return cty.StringVal(text), nil
	case TypeBool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return cty.NilVal, err
		}
		return cty.BoolVal(b), nil
	case TypeInt, TypeFloat:
		f, _, err := big.ParseFloat(text, 10, 512, big.ToNearestEven)
		if err != nil {
			return cty.NilVal, err
		}
		return cty.NumberVal(f), nil
	}
	return cty.NilVal, fmt.Errorf("attributes of type %s cannot have a default", t)
}
