package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/sdk"
)

// planCmd shows what a run would do, row by row, without writing: create,
// update (each changed field, before and after), unchanged, skip, reject,
// with the totals; --out saves every row's decision as JSON lines or
// Parquet.
func (c *cli) planCmd(args []string) error {
	fs, in := pipelineFlags("plan", "plan <file|dir> [flags]", c.stderr)
	out := fs.String("out", "", "save every row's decision to `file`: .jsonl (JSON lines) or .parquet")
	limit := fs.Int("show", 50, "print at most `n` rows that change something (0: none, -1: all)")
	full := fs.Bool("full", false, "sinks with a sync block consider every row, not only those that changed since the last run")
	path, err := parsePath(fs, args)
	if err != nil {
		return err
	}
	if *out != "" && !strings.HasSuffix(*out, ".jsonl") && !strings.HasSuffix(*out, ".parquet") {
		return usageError("--out %s: the file name must end in .jsonl or .parquet", *out)
	}
	p, err := c.loadPipeline(path, in, slog.LevelWarn)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var rows []engine.PlannedRow
	sum, err := p.Plan(c.ctx, engine.PlanOptions{Full: *full, Row: func(r engine.PlannedRow) {
		mu.Lock()
		rows = append(rows, r)
		mu.Unlock()
	}})
	c.printWarnings(p, err)
	if err != nil {
		return c.pipelineError(p, err)
	}
	slices.SortFunc(rows, func(a, b engine.PlannedRow) int {
		if a.Sink != b.Sink {
			return strings.Compare(a.Sink, b.Sink)
		}
		return int(a.Row - b.Row)
	})
	c.printPlan(rows, *limit)
	printTotals(c.stdout, sum)
	if *out != "" {
		if err := writePlan(*out, rows); err != nil {
			return &exitError{code: exitFailed, err: err}
		}
		c.printf("\nEvery row's decision is in %s.\n", *out)
	}
	return nil
}

// printPlan prints the rows that change something, up to limit.
func (c *cli) printPlan(rows []engine.PlannedRow, limit int) {
	shown, hidden := 0, 0
	for _, r := range rows {
		switch r.Plan.Action {
		case sdk.PlanUnchanged, sdk.PlanWrite:
			continue
		}
		if limit >= 0 && shown >= limit {
			hidden++
			continue
		}
		shown++
		c.printf("%s\n", describePlannedRow(r))
	}
	if hidden > 0 {
		c.printf("… and %d more rows that change something (--show -1 prints them all, --out saves them).\n", hidden)
	}
}

// describePlannedRow is a row's decision in a few lines.
func describePlannedRow(r engine.PlannedRow) string {
	p := r.Plan
	var b strings.Builder
	row := "row ?"
	if r.Row >= 0 {
		row = fmt.Sprintf("row %d", r.Row+1)
	}
	fmt.Fprintf(&b, "%s %s: %s", r.Sink, row, p.Action)
	if p.Table != "" {
		b.WriteString(" " + p.Table)
		if p.Record != "" {
			b.WriteString(" " + p.Record)
		}
	}
	if p.Label != "" {
		b.WriteString(" (" + p.Label + ")")
	}
	if p.Code != "" {
		b.WriteString(" [" + p.Code + "]")
	}
	if p.Reason != "" {
		b.WriteString(": " + p.Reason)
	}
	for _, ch := range p.Changes {
		if p.Action == sdk.PlanCreate {
			fmt.Fprintf(&b, "\n    %s = %s", ch.Field, showValue(ch.After))
			continue
		}
		fmt.Fprintf(&b, "\n    %s: %s → %s", ch.Field, showValue(ch.Before), showValue(ch.After))
	}
	for _, rel := range p.Related {
		fmt.Fprintf(&b, "\n    and %s %s (%s)", rel.Action, rel.Table, rel.Label)
	}
	return b.String()
}

func showValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "(empty)"
	case string:
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprint(v)
}

// planActions are the plan actions, in the order totals list them.
var planActions = []sdk.PlanAction{sdk.PlanCreate, sdk.PlanUpdate, sdk.PlanUnchanged, sdk.PlanDelete, sdk.PlanSkip,
	sdk.PlanDeduplicated, sdk.PlanReject, sdk.PlanWrite}

// printTotals prints each sink's rows by action.
func printTotals(w io.Writer, sum engine.PlanSummary) {
	actions := planActions
	sinks := make([]string, 0, len(sum.Totals))
	for s := range sum.Totals {
		sinks = append(sinks, s)
	}
	sort.Strings(sinks)
	fmt.Fprintf(w, "\nPlan: nothing was written.\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := "sink\t"
	for _, a := range actions {
		header += string(a) + "\t"
	}
	fmt.Fprintln(tw, header)
	for _, s := range sinks {
		line := s + "\t"
		for _, a := range actions {
			line += dash(int64(sum.Totals[s][a])) + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
}

// planRecord is a row's decision as --out saves it.
type planRecord struct {
	Sink    string            `json:"sink"`
	Row     int64             `json:"row"`
	Action  sdk.PlanAction    `json:"action"`
	Table   string            `json:"table,omitempty"`
	Record  string            `json:"record,omitempty"`
	Label   string            `json:"label,omitempty"`
	Changes []planChange      `json:"changes,omitempty"`
	Code    string            `json:"code,omitempty"`
	Reason  string            `json:"reason,omitempty"`
	Related []sdk.RelatedPlan `json:"related,omitempty"`
}

type planChange struct {
	Field  string `json:"field"`
	Before any    `json:"before"`
	After  any    `json:"after"`
}

func toRecord(r engine.PlannedRow) planRecord {
	p := r.Plan
	out := planRecord{Sink: r.Sink, Row: r.Row, Action: p.Action, Table: p.Table, Record: p.Record, Label: p.Label,
		Code: p.Code, Reason: p.Reason, Related: p.Related}
	for _, c := range p.Changes {
		out.Changes = append(out.Changes, planChange{Field: c.Field, Before: c.Before, After: c.After})
	}
	return out
}

// writePlan saves rows as JSON lines or Parquet, by the file's extension.
func writePlan(path string, rows []engine.PlannedRow) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if strings.HasSuffix(path, ".parquet") {
		err = writePlanParquet(f, rows) // closes f
	} else {
		enc := json.NewEncoder(f)
		for _, r := range rows {
			if err = enc.Encode(toRecord(r)); err != nil {
				break
			}
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// planSchema is the schema of a plan saved as Parquet: changes and related
// records as JSON text.
var planSchema = arrow.NewSchema([]arrow.Field{
	{Name: "sink", Type: arrow.BinaryTypes.String},
	{Name: "row", Type: arrow.PrimitiveTypes.Int64},
	{Name: "action", Type: arrow.BinaryTypes.String},
	{Name: "table", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "record", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "changes", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "code", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "reason", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "related", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// writePlanParquet writes rows as Parquet to w, and closes it.
func writePlanParquet(w io.WriteCloser, rows []engine.PlannedRow) error {
	mem := memory.DefaultAllocator
	b := array.NewRecordBuilder(mem, planSchema)
	defer b.Release()
	text := func(i int, s string) {
		sb := b.Field(i).(*array.StringBuilder)
		if s == "" {
			sb.AppendNull()
			return
		}
		sb.Append(s)
	}
	asJSON := func(v any, empty bool) string {
		if empty {
			return ""
		}
		data, _ := json.Marshal(v)
		return string(data)
	}
	for _, r := range rows {
		rec := toRecord(r)
		b.Field(0).(*array.StringBuilder).Append(rec.Sink)
		b.Field(1).(*array.Int64Builder).Append(rec.Row)
		b.Field(2).(*array.StringBuilder).Append(string(rec.Action))
		text(3, rec.Table)
		text(4, rec.Record)
		text(5, rec.Label)
		text(6, asJSON(rec.Changes, len(rec.Changes) == 0))
		text(7, rec.Code)
		text(8, rec.Reason)
		text(9, asJSON(rec.Related, len(rec.Related) == 0))
	}
	batch := b.NewRecordBatch()
	defer batch.Release()
	fw, err := pqarrow.NewFileWriter(planSchema, w, nil, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		w.Close()
		return err
	}
	if err := fw.Write(batch); err != nil {
		fw.Close()
		return err
	}
	return fw.Close()
}
