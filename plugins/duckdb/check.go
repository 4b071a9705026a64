package duckdb

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sluicedata/sluice/sdk"
)

// checkConfig reports configuration mistakes and returns the query's
// arguments.
func checkConfig(cfg SourceConfig) ([]any, error) {
	var diags sdk.Diagnostics
	if strings.TrimSpace(cfg.Query) == "" {
		diags = append(diags, sdk.Errorf(sdk.Path{"query"}, "the query is empty")...)
	}
	if cfg.BatchRows < 1 {
		diags = append(diags, sdk.Errorf(sdk.Path{"batch_rows"}, "must be at least 1, got %d", cfg.BatchRows)...)
	}
	if !cfg.ReadOnly && cfg.Database == "" {
		diags = append(diags, sdk.Errorf(sdk.Path{"read_only"}, "read_only = false needs a database file; an in-memory database is private to the run anyway")...)
	}
	args, isList := cfg.Args.([]any)
	if cfg.Args != nil && !isList {
		diags = append(diags, sdk.Errorf(sdk.Path{"args"}, "must be a list, such as [var.region, 100]")...)
	}
	for i, a := range args {
		switch a.(type) {
		case nil, string, bool, int, int64, float64:
		default:
			diags = append(diags, sdk.Errorf(sdk.Path{"args", strconv.Itoa(i)}, "a query argument must be a string, number, bool or null, not %s", kindOf(a))...)
		}
	}
	if inc := cfg.Incremental; inc != nil {
		if len(inc.Cursor) == 0 {
			diags = append(diags, sdk.Errorf(sdk.Path{"incremental", "cursor"}, "name at least one column, such as [\"updated_at\", \"id\"]")...)
		}
		for i, c := range inc.Cursor {
			if slices.Index(inc.Cursor, c) != i {
				diags = append(diags, sdk.Errorf(sdk.Path{"incremental", "cursor"}, "column %q is named twice", c)...)
			}
		}
	}
	return args, diags.Err()
}

func kindOf(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
