package stdlib

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // tests must not depend on the machine's zone database

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/file"
)

// testTypes is the typed environment the table tests compile against, the
// way the engine derives one from an Arrow schema. Each case then runs with
// these zero values overridden by its own, nil included (a SQL NULL).
var testTypes = map[string]any{
	"s":  "",
	"s2": "",
	"n":  0,
	"f":  0.0,
	"b":  false,
	"t":  time.Time{},
	"t2": time.Time{},
	"l":  []any{},
	"m":  map[string]any{}, // m.x is untyped, like a value from fromJSON
}

type exprCase struct {
	expr string
	env  map[string]any // run-time values of testTypes' variables
	want any            // compared through formatValue, so 2 and 2.0 differ
	err  string         // if set: a substring of the compile or run error
}

// evalExpr compiles src against testTypes with Options and runs it.
func evalExpr(src string, env map[string]any) (any, error) {
	program, err := expr.Compile(src, append(Options(), expr.Env(testTypes))...)
	if err != nil {
		return nil, err
	}
	vars := maps.Clone(testTypes)
	maps.Copy(vars, env)
	return expr.Run(program, vars)
}

func runCases(t *testing.T, cases []exprCase) {
	t.Helper()
	for _, c := range cases {
		name := c.expr
		if len(c.env) > 0 {
			name += " " + fmt.Sprint(c.env)
		}
		t.Run(name, func(t *testing.T) {
			got, err := evalExpr(c.expr, c.env)
			if c.err != "" {
				if err == nil {
					t.Fatalf("got %s, want error containing %q", formatValue(got), c.err)
				}
				if !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %q does not contain %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if g, w := formatValue(got), formatValue(c.want); g != w {
				t.Fatalf("got %s, want %s", g, w)
			}
		})
	}
}

// compileFails lists expressions that expr's checker must reject.
func compileFails(t *testing.T, sources ...string) {
	t.Helper()
	for _, src := range sources {
		if _, err := expr.Compile(src, append(Options(), expr.Env(testTypes))...); err == nil {
			t.Errorf("%s: compiled, want a type error", src)
		}
	}
}

// formatValue renders a result the way Example.Result is written.
func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case string:
		return strconv.Quote(x)
	case float64:
		s := strconv.FormatFloat(x, 'f', -1, 64)
		if !strings.ContainsAny(s, ".NI") {
			s += ".0"
		}
		return s
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case time.Duration:
		return x.String()
	case *time.Location:
		return x.String()
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = formatValue(rv.Index(i).Interface())
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Map:
		parts := make([]string, 0, rv.Len())
		for _, k := range rv.MapKeys() {
			parts = append(parts, formatValue(k.Interface())+": "+formatValue(rv.MapIndex(k).Interface()))
		}
		sort.Strings(parts)
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// errorMessage is the message a rejected row would show: the function's own
// error without expr's source snippet.
func errorMessage(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) {
		if fe.Prev != nil {
			return fe.Prev.Error()
		}
		return fe.Message
	}
	return err.Error()
}

var categories = []string{"collections", "contact", "conversion", "dates", "hashing", "numbers", "regex", "strings"}

func TestRegistryIsComplete(t *testing.T) {
	all := All()
	if len(all) == 0 {
		t.Fatal("All() is empty")
	}
	seen := map[string]bool{}
	for _, f := range all {
		if f.Name == "" || f.Signature == "" || f.Doc == "" || len(f.Examples) == 0 {
			t.Errorf("%q: name, signature, doc and at least one example are required", f.Name)
		}
		if !slices.Contains(categories, f.Category) {
			t.Errorf("%s: unknown category %q", f.Name, f.Category)
		}
		if seen[f.Name] {
			t.Errorf("%s: documented twice", f.Name)
		}
		seen[f.Name] = true
		if !strings.HasPrefix(f.Signature, f.Name+"(") {
			t.Errorf("%s: signature %q does not start with %s(", f.Name, f.Signature, f.Name)
		}
		if strings.TrimSpace(f.Doc) != f.Doc || !strings.HasSuffix(f.Doc, ".") {
			t.Errorf("%s: doc should be trimmed sentences ending with a period", f.Name)
		}
		_, isBuiltin := builtin.Index[f.Name]
		if f.Builtin {
			if !isBuiltin {
				t.Errorf("%s: marked Builtin but expr %s has no such builtin", f.Name, "v1.17.8")
			}
			if f.Fn != nil || f.Types != nil {
				t.Errorf("%s: a builtin must not have Fn or Types", f.Name)
			}
			continue
		}
		if isBuiltin {
			t.Errorf("%s: shadows an expr builtin", f.Name)
		}
		if f.Fn == nil || len(f.Types) == 0 {
			t.Errorf("%s: Fn and Types are required", f.Name)
		}
		for _, typ := range f.Types {
			if rt := reflect.TypeOf(typ); rt.Kind() != reflect.Pointer || rt.Elem().Kind() != reflect.Func {
				t.Errorf("%s: Types must hold pointers to func types, got %T", f.Name, typ)
			}
		}
	}
	if !slices.IsSortedFunc(all, func(a, b Function) int {
		if c := strings.Compare(a.Category, b.Category); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	}) {
		t.Error("All() is not sorted by category then name")
	}
	for _, c := range categories {
		if !slices.ContainsFunc(all, func(f Function) bool { return f.Category == c }) {
			t.Errorf("category %s has no function", c)
		}
	}
}

func TestAllReturnsACopy(t *testing.T) {
	a := All()
	a[0].Name = "changed"
	if All()[0].Name == "changed" {
		t.Fatal("All() exposes the registry")
	}
}

func TestOptionsInstallsEveryFunction(t *testing.T) {
	opts := Options()
	n := 0
	for _, f := range All() {
		if !f.Builtin {
			n++
		}
	}
	if len(opts) != n {
		t.Fatalf("Options() has %d options for %d functions", len(opts), n)
	}
	// Appending must never write into a shared backing array.
	_ = append(opts, expr.AsBool())
	if len(Options()) != n {
		t.Fatal("appending to Options() changed it")
	}
}

// TestExamples evaluates every documented example, so docs/functions.md and
// `sluice functions` cannot claim a result the code does not produce.
func TestExamples(t *testing.T) {
	for _, f := range All() {
		for _, ex := range f.Examples {
			t.Run(f.Name+"/"+ex.Expr, func(t *testing.T) {
				program, err := expr.Compile(ex.Expr, append(Options(), expr.Env(map[string]any{}))...)
				if err != nil {
					t.Fatalf("does not compile: %v", err)
				}
				got, err := expr.Run(program, map[string]any{})
				var result string
				if err != nil {
					result = "error: " + errorMessage(err)
				} else {
					result = formatValue(got)
				}
				if result != ex.Result {
					t.Errorf("documented result %s, got %s", ex.Result, result)
				}
			})
		}
	}
}

// TestNullArguments calls every non-builtin function with a nil first
// argument directly: it must return a value or an error that names the
// function, never panic.
func TestNullArguments(t *testing.T) {
	for _, f := range All() {
		if f.Builtin {
			continue
		}
		for _, typ := range f.Types {
			ft := reflect.TypeOf(typ).Elem()
			args := make([]any, ft.NumIn())
			for i := range args {
				args[i] = sampleArg(ft.In(i))
			}
			if ft.IsVariadic() {
				args = args[:len(args)-1]
			}
			for i := range args {
				withNil := slices.Clone(args)
				withNil[i] = nil
				_, err := f.Fn(withNil...)
				if err != nil && !strings.HasPrefix(err.Error(), f.Name+": ") {
					t.Errorf("%s%v: error %q does not start with %q", f.Name, withNil, err, f.Name+": ")
				}
			}
			// Wrong types must be errors too, not panics.
			for i := range args {
				wrong := slices.Clone(args)
				wrong[i] = struct{}{}
				_, err := f.Fn(wrong...)
				if err != nil && !strings.HasPrefix(err.Error(), f.Name+": ") {
					t.Errorf("%s%v: error %q does not start with %q", f.Name, wrong, err, f.Name+": ")
				}
			}
			if _, err := f.Fn(); ft.NumIn() > 0 && err == nil && f.Name != "coalesce" {
				t.Errorf("%s(): no error for a missing argument", f.Name)
			}
		}
	}
}

func sampleArg(t reflect.Type) any {
	switch t.Kind() {
	case reflect.String:
		return "1"
	case reflect.Int:
		return 1
	case reflect.Float64:
		return 1.0
	case reflect.Bool:
		return true
	case reflect.Slice:
		return []any{"1"}
	}
	if t == reflect.TypeOf(time.Time{}) {
		return time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	}
	return "1"
}

// TestNullErrorsNameTheArgument checks the error users see for a NULL
// column, through expr.
func TestNullErrorsNameTheArgument(t *testing.T) {
	for src, want := range map[string]string{
		`titleCase(s)`:           "titleCase: s is null",
		`left(s, n)`:             "left: n is null",
		`parseTime(s, "date")`:   "parseTime: s is null",
		`formatTime(t, "date")`:  "formatTime: t is null",
		`normalizePhone(s, s2)`:  "normalizePhone: s is null",
		`roundTo(f, 2)`:          "roundTo: x is null",
		`diffDays(t, t2)`:        "diffDays: from is null",
		`regexExtract(s, s2)`:    "regexExtract: s is null",
		`normalizeEmail(s)`:      "normalizeEmail: s is null",
		`joinNonEmpty(s, "a")`:   "joinNonEmpty: sep is null",
		`parseBool(s)`:           "parseBool: s is null",
		`lastName(s)`:            "lastName: fullName is null",
		`addMonths(t, n)`:        "addMonths: t is null",
		`fromUnix(n)`:            "fromUnix: n is null",
		`regexMatch("a", s)`:     "regexMatch: pattern is null",
		`truncate("abc", 1, s)`:  "truncate: suffix is null",
		`isValidPhone("1", m.x)`: "isValidPhone: defaultCountryCode is null",
	} {
		env := map[string]any{"s": nil, "s2": nil, "n": nil, "f": nil, "t": nil, "t2": nil, "m": map[string]any{"x": nil}}
		if src == `left(s, n)` {
			env["s"] = "x"
		}
		_, err := evalExpr(src, env)
		if err == nil {
			t.Errorf("%s: no error", src)
			continue
		}
		if got := errorMessage(err); got != want {
			t.Errorf("%s: error %q, want %q", src, got, want)
		}
	}
}
