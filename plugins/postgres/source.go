package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sluicedata/sluice/plugins/internal/sqlcursor"
	"github.com/sluicedata/sluice/sdk"
)

type source struct {
	cfg  SourceConfig
	args []any // the query's arguments as text (or nil for NULL)

	host      sdk.Host
	conn      *pgx.Conn
	schema    *arrow.Schema
	types     []colType
	oids      []uint32
	formats   []int16
	cursor    []int // result column of each cursor column
	checkUTF8 bool
}

func newSource(cfg SourceConfig) (sdk.Source, error) {
	diags := cfg.checkConnection()
	if strings.TrimSpace(cfg.Query) == "" {
		diags = append(diags, sdk.Errorf(sdk.Path{"query"}, "the query is empty")...)
	}
	if cfg.BatchRows < 1 {
		diags = append(diags, sdk.Errorf(sdk.Path{"batch_rows"}, "must be at least 1, got %d", cfg.BatchRows)...)
	}
	s := &source{cfg: cfg}
	args, isList := cfg.Args.([]any)
	if cfg.Args != nil && !isList {
		diags = append(diags, sdk.Errorf(sdk.Path{"args"}, "must be a list, such as [var.region, 100]")...)
	}
	for i, a := range args {
		text, err := argText(a)
		if err != nil {
			diags = append(diags, sdk.Errorf(sdk.Path{"args", strconv.Itoa(i)}, "%v", err)...)
		}
		s.args = append(s.args, text)
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
		if inc.Lag < 0 {
			diags = append(diags, sdk.Errorf(sdk.Path{"incremental", "lag"}, "must not be negative")...)
		}
	}
	if err := diags.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// Open connects, has the server describe the query, and maps its result
// columns to the schema. Nothing is read yet.
func (s *source) Open(ctx context.Context, host sdk.Host) (*arrow.Schema, error) {
	s.host = host
	conn, err := s.connect(ctx)
	if err != nil {
		return nil, err
	}
	s.conn = conn
	sd, err := conn.PgConn().Prepare(ctx, "", sqlcursor.Query(s.cfg.Query), nil)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, sdk.Errorf(sdk.Path{"query"}, "the server rejects the query: %s", s.queryError(err, s.cfg.Query))
	}
	if len(sd.ParamOIDs) != len(s.args) {
		return nil, sdk.Errorf(sdk.Path{"args"}, "the query has %d parameters ($1…) but args has %d values", len(sd.ParamOIDs), len(s.args))
	}
	if len(sd.Fields) == 0 {
		return nil, sdk.Errorf(sdk.Path{"query"}, "the query returns no columns; it must be a SELECT (or a statement with RETURNING)")
	}
	names, err := s.typeNames(ctx, sd.Fields)
	if err != nil {
		return nil, err
	}
	fields := make([]arrow.Field, len(sd.Fields))
	seen := map[string]bool{}
	for i, f := range sd.Fields {
		if seen[f.Name] {
			return nil, sdk.Errorf(sdk.Path{"query"}, "the query returns two columns named %q; give them different names with AS", f.Name)
		}
		seen[f.Name] = true
		ct := typeOf(f.DataTypeOID, f.TypeModifier, names[f.DataTypeOID])
		if ct.fallback != "" {
			host.Logger().Warn("postgres: column read as text", "column", f.Name, "reason", ct.fallback)
		}
		s.types = append(s.types, ct)
		s.oids = append(s.oids, f.DataTypeOID)
		s.formats = append(s.formats, ct.resultFormat())
		fields[i] = arrow.Field{Name: f.Name, Type: ct.arrow, Nullable: true}
	}
	if inc := s.cfg.Incremental; inc != nil {
		if err := s.checkCursor(sd.Fields, names); err != nil {
			return nil, err
		}
	}
	s.checkUTF8 = conn.PgConn().ParameterStatus("server_encoding") == "SQL_ASCII"
	s.schema = arrow.NewSchema(fields, nil)
	host.Logger().Debug("postgres schema", "schema", s.schema.String())
	return s.schema, nil
}

// checkCursor finds the cursor columns among the result's and checks their
// types.
func (s *source) checkCursor(fields []pgconn.FieldDescription, names map[uint32]string) error {
	inc := s.cfg.Incremental
	var columns []string
	for _, f := range fields {
		columns = append(columns, f.Name)
	}
	for i, c := range inc.Cursor {
		at := slices.Index(columns, c)
		if at < 0 {
			return sdk.Errorf(sdk.Path{"incremental", "cursor"}, "the query returns no column %q; its columns are %s", c, strings.Join(columns, ", "))
		}
		oid := fields[at].DataTypeOID
		if !cursorOIDs[oid] {
			return sdk.Errorf(sdk.Path{"incremental", "cursor"}, "column %q has type %s, which cannot be a cursor: use integers, numeric, text, uuid, date, timestamp or timestamptz", c, typeName(oid, names))
		}
		if i == 0 && inc.Lag > 0 && !lagOIDs[oid] {
			return sdk.Errorf(sdk.Path{"incremental", "lag"}, "lag needs a date or timestamp as the first cursor column; %q has type %s", c, typeName(oid, names))
		}
		s.cursor = append(s.cursor, at)
	}
	return nil
}

// typeNames looks up the names of the result's types that have no builtin
// mapping, for warnings and for extension types such as citext.
func (s *source) typeNames(ctx context.Context, fields []pgconn.FieldDescription) (map[uint32]string, error) {
	var unknown []uint32
	for _, f := range fields {
		if _, ok := scalarKinds[f.DataTypeOID]; !ok && arrayElems[f.DataTypeOID] == 0 {
			unknown = append(unknown, f.DataTypeOID)
		}
	}
	names := map[uint32]string{}
	if len(unknown) == 0 {
		return names, nil
	}
	rows, err := s.conn.Query(ctx, "SELECT oid, typname FROM pg_catalog.pg_type WHERE oid = ANY($1)", unknown)
	if err != nil {
		return nil, fmt.Errorf("postgres: looking up column types: %s", s.cfg.scrub(err.Error()))
	}
	defer rows.Close()
	for rows.Next() {
		var oid uint32
		var name string
		if err := rows.Scan(&oid, &name); err != nil {
			return nil, fmt.Errorf("postgres: looking up column types: %w", err)
		}
		names[oid] = name
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: looking up column types: %s", s.cfg.scrub(err.Error()))
	}
	return names, nil
}

func typeName(oid uint32, names map[uint32]string) string {
	if n, ok := names[oid]; ok {
		return n
	}
	if n, ok := builtinNames[oid]; ok {
		return n
	}
	return fmt.Sprintf("OID %d", oid)
}

var builtinNames = map[uint32]string{
	16: "boolean", 17: "bytea", 114: "json", 3802: "jsonb", 700: "real", 701: "double precision",
	1000: "boolean[]", 1005: "smallint[]", 1007: "integer[]", 1016: "bigint[]", 1009: "text[]",
}

// queryError describes a server error about query: the message, where in
// the query it points, and PostgreSQL's detail and hint.
func (s *source) queryError(err error, query string) string {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return s.cfg.scrub(err.Error())
	}
	var b strings.Builder
	b.WriteString(pgErr.Message)
	if pgErr.Position > 0 {
		line, col := 1, 1
		for i, r := range []rune(query) {
			if int32(i) >= pgErr.Position-1 {
				break
			}
			if r == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		fmt.Fprintf(&b, " (line %d, column %d of the query)", line, col)
	}
	if pgErr.Detail != "" {
		b.WriteString("; " + pgErr.Detail)
	}
	if pgErr.Hint != "" {
		b.WriteString("; hint: " + pgErr.Hint)
	}
	fmt.Fprintf(&b, " (SQLSTATE %s)", pgErr.Code)
	return s.cfg.scrub(b.String())
}

// Close closes the connection. It is safe to call more than once.
func (s *source) Close(ctx context.Context) error {
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close(ctx)
	s.conn = nil
	if err != nil {
		return fmt.Errorf("postgres: closing the connection: %s", s.cfg.scrub(err.Error()))
	}
	return nil
}

// argText turns an argument from the pipeline file into the text the
// server parses as the parameter's type; lists become array literals.
func argText(v any) (any, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case []any:
		var b strings.Builder
		b.WriteByte('{')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			t, err := argText(e)
			if err != nil {
				return nil, err
			}
			if _, nested := e.([]any); nested {
				b.WriteString(t.(string))
				continue
			}
			if t == nil {
				b.WriteString("NULL")
				continue
			}
			b.WriteByte('"')
			b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(t.(string)))
			b.WriteByte('"')
		}
		b.WriteByte('}')
		return b.String(), nil
	}
	return nil, fmt.Errorf("a query argument must be a string, number, bool, null or a list of them, not %T", v)
}

// Incremental reports whether the source reads by a cursor: its checkpoints
// are then high-water marks that the engine keeps between runs, rather than
// positions within one run.
func (s *source) Incremental() bool { return s.cfg.Incremental != nil }
