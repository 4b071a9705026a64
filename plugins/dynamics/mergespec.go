package dynamics

import (
	"fmt"
	"strings"

	"github.com/sluicedata/sluice/sdk"
)

// parseHierarchy reads a field hierarchy — a list of expressions of which
// the first non-empty value is written — such as
// telephone1 = ["direct_phone", "company_phone"].
func parseHierarchy(col string, path sdk.Path, list []any) (*fieldSpec, sdk.Diagnostics) {
	f := &fieldSpec{Column: col, Path: path}
	for i, v := range list {
		s, ok := v.(string)
		if !ok || strings.TrimSpace(s) == "" {
			return nil, sdk.Errorf(path.Child(fmt.Sprint(i)), "each candidate of %s must be an expression in quotes", col)
		}
		f.Candidates = append(f.Candidates, sdk.Expr{Text: s, Path: path.Child(fmt.Sprint(i))})
	}
	if len(f.Candidates) == 0 {
		return nil, sdk.Errorf(path, "%s has an empty list: give the candidate expressions in order, such as [\"direct_phone\", \"company_phone\"]", col)
	}
	f.Value = f.Candidates[0]
	return f, nil
}

// parseMergeOptions reads update, empty and default of a mapping entry
// written as an object.
func parseMergeOptions(f *fieldSpec, path sdk.Path, obj map[string]any) sdk.Diagnostics {
	var diags sdk.Diagnostics
	text := func(k string) string {
		v, ok := obj[k]
		if !ok {
			return ""
		}
		s, isStr := v.(string)
		if !isStr || strings.TrimSpace(s) == "" {
			diags = append(diags, sdk.Errorf(path.Child(k), "%s must be a non-empty string", k)...)
			return ""
		}
		return s
	}
	f.Update = text("update")
	f.Empty = text("empty")
	if d := text("default"); d != "" {
		f.Default = sdk.Expr{Text: d, Path: path.Child("default")}
	}
	return diags
}

// expressions are the value expressions of a field: the candidates of a
// hierarchy, or its one value.
func (f *fieldSpec) expressions() []sdk.Expr {
	if len(f.Candidates) > 0 {
		return f.Candidates
	}
	if f.isLookup() {
		return nil
	}
	return []sdk.Expr{f.Value}
}
