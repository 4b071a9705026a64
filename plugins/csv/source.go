package csv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/plugins/internal/coltype"
	"github.com/sluicedata/sluice/plugins/internal/fileset"
	"github.com/sluicedata/sluice/sdk"
)

// maxRecordBytes bounds one record, so that a missing closing quote cannot
// make the source hold the rest of a large file in memory.
const maxRecordBytes = 64 << 20

type source struct {
	cfg          SourceConfig
	delim, quote byte
	nullValues   [][]byte
	nullEmpty    bool // "" is a null value: empty text fields are null
	workers      int

	host   sdk.Host
	files  []string
	names  []string // column names, in the first file's order
	schema *arrow.Schema
}

func newSource(cfg SourceConfig) (sdk.Source, error) {
	var diags sdk.Diagnostics
	s := &source{cfg: cfg, workers: runtime.GOMAXPROCS(0)}
	var err error
	if s.delim, err = oneChar(cfg.Delimiter, false); err != nil {
		diags = append(diags, sdk.Errorf(sdk.Path{"delimiter"}, "%v", err)...)
	}
	if s.quote, err = oneChar(cfg.Quote, true); err != nil {
		diags = append(diags, sdk.Errorf(sdk.Path{"quote"}, "%v", err)...)
	}
	if s.delim != 0 && s.delim == s.quote {
		diags = append(diags, sdk.Errorf(sdk.Path{"quote"}, "the quote character cannot be the delimiter")...)
	}
	if cfg.BatchRows < 1 {
		diags = append(diags, sdk.Errorf(sdk.Path{"batch_rows"}, "must be at least 1, got %d", cfg.BatchRows)...)
	}
	if cfg.InferRows < 0 {
		diags = append(diags, sdk.Errorf(sdk.Path{"infer_rows"}, "must not be negative, got %d", cfg.InferRows)...)
	}
	if cfg.Header && len(cfg.Columns) > 0 {
		diags = append(diags, sdk.Errorf(sdk.Path{"columns"}, "columns names the columns of files without a header; set header = false, or remove columns to use the header's names")...)
	}
	if dup := firstDuplicate(cfg.Columns); dup != "" {
		diags = append(diags, sdk.Errorf(sdk.Path{"columns"}, "column %q is named twice", dup)...)
	}
	for _, v := range cfg.NullValues {
		if v == "" {
			s.nullEmpty = true
			continue
		}
		s.nullValues = append(s.nullValues, []byte(v))
	}
	for name, typ := range cfg.Schema {
		if _, err := coltype.Parse(typ); err != nil {
			diags = append(diags, sdk.Errorf(sdk.Path{"schema", name}, "%v", err)...)
		}
	}
	if err := diags.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// oneChar checks that a delimiter or quote is a single ASCII character other
// than a line break. An empty quote disables quoting.
func oneChar(s string, emptyOK bool) (byte, error) {
	switch {
	case s == "" && emptyOK:
		return 0, nil
	case len(s) != 1 || s[0] >= utf8.RuneSelf:
		return 0, fmt.Errorf("must be one ASCII character, got %q", s)
	case s[0] == '\n' || s[0] == '\r':
		return 0, fmt.Errorf("cannot be a line break")
	}
	return s[0], nil
}

func firstDuplicate(names []string) string {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			return n
		}
		seen[n] = true
	}
	return ""
}

// Open finds the files, reads the first one's header and a sample of its
// rows, and settles the schema.
func (s *source) Open(ctx context.Context, host sdk.Host) (*arrow.Schema, error) {
	s.host = host
	files, err := fileset.Expand(s.cfg.Path)
	if err != nil {
		return nil, sdk.Errorf(sdk.Path{"path"}, "%v", err)
	}
	s.files = files
	names, sample, err := s.readSample(files[0])
	if err != nil {
		return nil, err
	}
	s.names = names
	fields := make([]arrow.Field, len(names))
	index := make(map[string]int, len(names))
	for i, n := range names {
		index[n] = i
	}
	var diags sdk.Diagnostics
	declared := make([]bool, len(names))
	for _, name := range slices.Sorted(maps.Keys(s.cfg.Schema)) {
		i, ok := index[name]
		if !ok {
			diags = append(diags, sdk.Errorf(sdk.Path{"schema", name}, "%s has no column %q; its columns are %s", files[0], name, quoteList(names))...)
			continue
		}
		dt, _ := coltype.Parse(s.cfg.Schema[name])
		fields[i] = arrow.Field{Name: name, Type: dt, Nullable: true}
		declared[i] = true
	}
	if err := diags.Err(); err != nil {
		return nil, err
	}
	for i, name := range names {
		if !declared[i] {
			fields[i] = arrow.Field{Name: name, Type: sample[i].Type(), Nullable: true}
		}
	}
	s.schema = arrow.NewSchema(fields, nil)
	host.Logger().Debug("csv schema", "files", len(files), "schema", s.schema.String())
	return s.schema, nil
}

func quoteList(names []string) string {
	var b bytes.Buffer
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(n))
	}
	return b.String()
}

// readSample reads the column names and infers types from up to InferRows
// rows of the file.
func (s *source) readSample(path string) ([]string, []coltype.Inferrer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	p := &parser{delim: s.delim, quote: s.quote}
	buf := make([]byte, 0, 1<<20)
	eof := false
	pos := 0
	line := int64(1)
	// next returns the next record's fields, or nil at the end.
	next := func() (bool, error) {
		for {
			if pos == len(buf) && eof {
				return false, nil
			}
			end, st := p.parse(buf, pos, eof)
			switch st {
			case recordNeedMore:
				if len(buf)-pos > maxRecordBytes {
					return false, fmt.Errorf("%s:%d: a record is longer than %d MiB; is a closing quote missing?", path, line, maxRecordBytes>>20)
				}
				if pos > 0 {
					buf = append(buf[:0], buf[pos:]...)
					pos = 0
				}
				if cap(buf)-len(buf) < 64<<10 {
					buf = slices.Grow(buf, cap(buf))
				}
				n, err := f.Read(buf[len(buf):cap(buf)])
				buf = buf[:len(buf)+n]
				if pos == 0 && line == 1 && len(buf) >= len(bom) && bytes.HasPrefix(buf, bom) {
					pos = len(bom)
				}
				if errors.Is(err, io.EOF) {
					eof = true
				} else if err != nil {
					return false, fmt.Errorf("reading %s: %w", path, err)
				}
				continue
			case recordBlank:
				pos, line = end, line+int64(p.lines)
				continue
			}
			pos, line = end, line+int64(p.lines)
			return true, nil
		}
	}
	ok, err := next()
	if err != nil {
		return nil, nil, err
	}
	var names []string
	switch {
	case !ok && s.cfg.Header:
		return nil, nil, fmt.Errorf("%s is empty: it has no header line", path)
	case !ok && len(s.cfg.Columns) == 0:
		return nil, nil, fmt.Errorf("%s is empty; name its columns with columns = [...] to read it anyway", path)
	case s.cfg.Header:
		names = headerNames(p.fields)
		if dup := firstDuplicate(names); dup != "" {
			return nil, nil, fmt.Errorf("%s: the header names column %q twice", path, dup)
		}
		ok, err = next()
		if err != nil {
			return nil, nil, err
		}
	case len(s.cfg.Columns) > 0:
		names = s.cfg.Columns
	default:
		for i := range p.fields {
			names = append(names, "column_"+strconv.Itoa(i+1))
		}
	}
	infer := make([]coltype.Inferrer, len(names))
	for rows := 0; ok && rows < s.cfg.InferRows; {
		if len(p.fields) == len(names) {
			for i, v := range p.fields {
				if (len(v) == 0) || (!p.quoted[i] && s.isNull(v)) {
					continue
				}
				infer[i].Observe(v)
			}
		}
		if rows++; rows == s.cfg.InferRows {
			break
		}
		if ok, err = next(); err != nil {
			return nil, nil, err
		}
	}
	return names, infer, nil
}

// headerNames returns the header's fields as column names, without a UTF-8
// byte order mark and with unnamed columns called column_N.
func headerNames(fields [][]byte) []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		if i == 0 {
			f = bytes.TrimPrefix(f, bom)
		}
		names[i] = string(f)
		if names[i] == "" {
			names[i] = "column_" + strconv.Itoa(i+1)
		}
	}
	return names
}

var bom = []byte("\xef\xbb\xbf")

func (s *source) isNull(v []byte) bool {
	for _, n := range s.nullValues {
		if bytes.Equal(v, n) {
			return true
		}
	}
	return false
}

// Close implements sdk.Source. Read cleans up after itself, so there is
// nothing to close.
func (s *source) Close(context.Context) error { return nil }
