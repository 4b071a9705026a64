package stdout

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"golang.org/x/term"

	"github.com/sluicedata/sluice/plugins/internal/valfmt"
	"github.com/sluicedata/sluice/sdk"
)

// Config configures the stdout sink.
type Config struct {
	Format   string `sluice:"format" default:"auto" doc:"Output format: table (aligned columns), jsonl (one JSON object per line), or auto: table when standard output is a terminal, jsonl otherwise." example:"\"jsonl\""`
	MaxWidth int    `sluice:"max_width" default:"40" doc:"Widest a table column may be, in characters; longer values are cut with an ellipsis."`
}

var info = sdk.Info{
	Name:    "stdout",
	Version: "1.0.0",
	Summary: "Prints rows to standard output: a table on a terminal, JSON lines otherwise.",
	Examples: []sdk.Example{{
		Title: "Look at what a transform produces",
		HCL: `sink "stdout" "peek" {
  input = transform.normalize
}`,
	}},
}

// Sink is the stdout sink plugin, writing to the process's standard output.
var Sink = SinkTo(os.Stdout)

// SinkTo returns a stdout sink plugin that writes to w instead, for tests
// and for programs that embed the engine. When w is a terminal, format
// "auto" prints a table.
func SinkTo(w io.Writer) sdk.Plugin {
	return sdk.SinkPlugin(info, func(cfg Config) (sdk.Sink, error) {
		var diags sdk.Diagnostics
		switch cfg.Format {
		case "auto", "table", "jsonl":
		default:
			diags = append(diags, sdk.Errorf(sdk.Path{"format"}, "unknown format %q: use table, jsonl or auto", cfg.Format)...)
		}
		if cfg.MaxWidth < 4 {
			diags = append(diags, sdk.Errorf(sdk.Path{"max_width"}, "must be at least 4, got %d", cfg.MaxWidth)...)
		}
		if err := diags.Err(); err != nil {
			return nil, err
		}
		table := cfg.Format == "table" || (cfg.Format == "auto" && isTerminal(w))
		return &sink{w: w, table: table, maxWidth: cfg.MaxWidth}, nil
	})
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

type sink struct {
	w        io.Writer
	out      *bufio.Writer
	table    bool
	maxWidth int
	schema   *arrow.Schema

	enc    *valfmt.JSONLines
	buf    []byte
	widths []int // table column widths, once the first batch has set them
	right  []bool
	cells  [][]string
}

func (s *sink) Open(ctx context.Context, host sdk.Host, in *arrow.Schema) error {
	for _, f := range in.Fields() {
		empty := array.MakeArrayOfNull(host.Allocator(), f.Type, 0)
		_, err := valfmt.JSON(empty)
		empty.Release()
		if err != nil {
			return fmt.Errorf("column %q: %w", f.Name, err)
		}
	}
	s.schema = in
	s.enc = valfmt.NewJSONLines(in)
	s.out = bufio.NewWriterSize(s.w, 64<<10)
	for _, f := range in.Fields() {
		s.right = append(s.right, isNumeric(f.Type))
	}
	return nil
}

func isNumeric(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.DECIMAL256:
		return true
	}
	return false
}

func (s *sink) Write(ctx context.Context, rec arrow.RecordBatch) (sdk.WriteResult, error) {
	var err error
	if s.table {
		err = s.writeTable(rec)
	} else {
		if err = s.enc.Bind(rec); err == nil {
			s.buf = s.enc.Append(s.buf[:0], 0, int(rec.NumRows()))
			_, err = s.out.Write(s.buf)
		}
	}
	if err == nil {
		err = s.out.Flush()
	}
	return sdk.WriteResult{}, err
}

// writeTable prints a batch as table rows, and the header before the first.
func (s *sink) writeTable(rec arrow.RecordBatch) error {
	rows := int(rec.NumRows())
	fmts := make([]valfmt.Func, rec.NumCols())
	for c, col := range rec.Columns() {
		f, err := valfmt.Text(col)
		if err != nil {
			return err
		}
		fmts[c] = f
	}
	// Format every cell of the batch, on one line each.
	s.cells = s.cells[:0]
	var b []byte
	for r := range rows {
		row := make([]string, len(fmts))
		for c, f := range fmts {
			if rec.Column(c).IsNull(r) {
				row[c] = "NULL"
				continue
			}
			b = f(b[:0], r)
			row[c] = oneLine(string(b))
		}
		s.cells = append(s.cells, row)
	}
	if s.widths == nil {
		s.widths = make([]int, len(fmts))
		for c, f := range s.schema.Fields() {
			s.widths[c] = min(max(utf8.RuneCountInString(f.Name), 1), s.maxWidth)
		}
		for _, row := range s.cells {
			for c, v := range row {
				s.widths[c] = min(max(s.widths[c], utf8.RuneCountInString(v)), s.maxWidth)
			}
		}
		names := make([]string, len(fmts))
		for c, f := range s.schema.Fields() {
			names[c] = f.Name
		}
		s.printRow(names, false)
		var sep strings.Builder
		for c, w := range s.widths {
			if c > 0 {
				sep.WriteString("-+-")
			}
			sep.WriteString(strings.Repeat("-", w))
		}
		sep.WriteByte('\n')
		s.out.WriteString(sep.String())
	}
	for _, row := range s.cells {
		s.printRow(row, true)
	}
	return nil
}

func (s *sink) printRow(cells []string, align bool) {
	for c, v := range cells {
		if c > 0 {
			s.out.WriteString(" | ")
		}
		w := s.widths[c]
		n := utf8.RuneCountInString(v)
		if n > w {
			v = cut(v, w-1) + "…"
			n = w
		}
		pad := strings.Repeat(" ", w-n)
		if align && s.right[c] {
			s.out.WriteString(pad)
			s.out.WriteString(v)
		} else {
			s.out.WriteString(v)
			if c < len(cells)-1 {
				s.out.WriteString(pad)
			}
		}
	}
	s.out.WriteByte('\n')
}

// cut returns the first n characters of v.
func cut(v string, n int) string {
	i := 0
	for range n {
		_, size := utf8.DecodeRuneInString(v[i:])
		i += size
	}
	return v[:i]
}

// oneLine shows line breaks and tabs as escapes, so a row stays a line.
func oneLine(v string) string {
	if !strings.ContainsAny(v, "\n\r\t") {
		return v
	}
	return strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(v)
}

func (s *sink) Close(ctx context.Context) error {
	if s.out == nil {
		return nil
	}
	return s.out.Flush()
}
