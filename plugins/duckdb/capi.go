//go:build cgo

package duckdb

/*
#cgo CFLAGS: -I${SRCDIR}/include -DDUCKDB_STATIC_BUILD
#include <stdlib.h>
#include <string.h>
#include <duckdb.h>

// The Arrow C data interface's structs, as arrow-go's cdata package and
// DuckDB define them.
struct ArrowSchema {
	const char *format;
	const char *name;
	const char *metadata;
	int64_t flags;
	int64_t n_children;
	struct ArrowSchema **children;
	struct ArrowSchema *dictionary;
	void (*release)(struct ArrowSchema *);
	void *private_data;
};

struct ArrowArray {
	int64_t length;
	int64_t null_count;
	int64_t offset;
	int64_t n_buffers;
	int64_t n_children;
	const void **buffers;
	struct ArrowArray **children;
	struct ArrowArray *dictionary;
	void (*release)(struct ArrowArray *);
	void *private_data;
};

// DuckDB's Arrow functions take pointers to opaque handles that are really
// pointers to the caller's Arrow structs.
static duckdb_state sluice_arrow_schema(duckdb_arrow res, struct ArrowSchema *out) {
	duckdb_arrow_schema s = (duckdb_arrow_schema)out;
	return duckdb_query_arrow_schema(res, &s);
}

static void sluice_chunk_to_arrow(duckdb_result *res, duckdb_data_chunk chunk, struct ArrowArray *out) {
	duckdb_arrow_array a = (duckdb_arrow_array)out;
	duckdb_result_arrow_array(*res, chunk, &a);
}

// sluice_execute_streaming runs a prepared statement, leaving the result
// to be fetched chunk by chunk: DuckDB computes it as it is fetched.
static duckdb_state sluice_execute_streaming(duckdb_prepared_statement stmt, duckdb_result *out, char **err) {
	duckdb_pending_result pending;
	if (duckdb_pending_prepared_streaming(stmt, &pending) == DuckDBError) {
		const char *e = duckdb_pending_error(pending);
		*err = strdup(e ? e : "cannot execute the query");
		duckdb_destroy_pending(&pending);
		return DuckDBError;
	}
	duckdb_state st = duckdb_execute_pending(pending, out);
	if (st == DuckDBError) {
		const char *e = duckdb_result_error(out);
		*err = strdup(e ? e : "cannot execute the query");
		duckdb_destroy_result(out);
	}
	duckdb_destroy_pending(&pending);
	return st;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/cdata"

	// go-duckdb builds and links DuckDB's static library; this package
	// calls its C API directly.
	_ "github.com/marcboeker/go-duckdb"
)

// libraryVersion is the version of the DuckDB library linked in.
func libraryVersion() string { return C.GoString(C.duckdb_library_version()) }

// database is an open DuckDB database with one connection.
type database struct {
	mu   sync.Mutex // guards the handles against interrupt racing close
	db   C.duckdb_database
	conn C.duckdb_connection
	open bool
}

// openDatabase opens path (":memory:" for none) and connects.
func openDatabase(path string, readOnly bool) (*database, error) {
	var config C.duckdb_config
	if C.duckdb_create_config(&config) == C.DuckDBError {
		return nil, errors.New("duckdb: cannot create a configuration")
	}
	defer C.duckdb_destroy_config(&config)
	if readOnly {
		setConfig(config, "access_mode", "READ_ONLY")
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	d := &database{}
	var cerr *C.char
	if C.duckdb_open_ext(cpath, &d.db, config, &cerr) == C.DuckDBError {
		msg := C.GoString(cerr)
		C.duckdb_free(unsafe.Pointer(cerr))
		return nil, fmt.Errorf("duckdb: opening %s: %s", path, msg)
	}
	if C.duckdb_connect(d.db, &d.conn) == C.DuckDBError {
		C.duckdb_close(&d.db)
		return nil, fmt.Errorf("duckdb: connecting to %s", path)
	}
	d.open = true
	return d, nil
}

func setConfig(config C.duckdb_config, name, value string) {
	cn, cv := C.CString(name), C.CString(value)
	C.duckdb_set_config(config, cn, cv)
	C.free(unsafe.Pointer(cn))
	C.free(unsafe.Pointer(cv))
}

// interrupt stops the query running on the connection, from any
// goroutine.
func (d *database) interrupt() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.open {
		C.duckdb_interrupt(d.conn)
	}
}

func (d *database) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.open {
		C.duckdb_disconnect(&d.conn)
		C.duckdb_close(&d.db)
		d.open = false
	}
}

// exec runs statements whose results are not needed.
func (d *database) exec(sql string) error {
	csql := C.CString(sql)
	defer C.free(unsafe.Pointer(csql))
	var res C.duckdb_result
	st := C.duckdb_query(d.conn, csql, &res)
	defer C.duckdb_destroy_result(&res)
	if st == C.DuckDBError {
		return errors.New(C.GoString(C.duckdb_result_error(&res)))
	}
	return nil
}

// statement is a prepared statement.
type statement struct {
	s C.duckdb_prepared_statement
}

func (d *database) prepare(sql string) (*statement, error) {
	csql := C.CString(sql)
	defer C.free(unsafe.Pointer(csql))
	st := &statement{}
	if C.duckdb_prepare(d.conn, csql, &st.s) == C.DuckDBError {
		msg := C.GoString(C.duckdb_prepare_error(st.s))
		C.duckdb_destroy_prepare(&st.s)
		return nil, errors.New(msg)
	}
	return st, nil
}

func (st *statement) close() { C.duckdb_destroy_prepare(&st.s) }

func (st *statement) params() int { return int(C.duckdb_nparams(st.s)) }

// bind binds the values to $1, $2, …
func (st *statement) bind(args []any) error {
	for i, a := range args {
		idx := C.idx_t(i + 1)
		var state C.duckdb_state
		switch v := a.(type) {
		case nil:
			state = C.duckdb_bind_null(st.s, idx)
		case string:
			cv := C.CString(v)
			state = C.duckdb_bind_varchar(st.s, idx, cv)
			C.free(unsafe.Pointer(cv))
		case bool:
			state = C.duckdb_bind_boolean(st.s, idx, C.bool(v))
		case int:
			state = C.duckdb_bind_int64(st.s, idx, C.int64_t(v))
		case int64:
			state = C.duckdb_bind_int64(st.s, idx, C.int64_t(v))
		case float64:
			state = C.duckdb_bind_double(st.s, idx, C.double(v))
		default:
			return fmt.Errorf("parameter $%d: cannot bind a %T", i+1, a)
		}
		if state == C.DuckDBError {
			return fmt.Errorf("parameter $%d: DuckDB cannot bind %v", i+1, a)
		}
	}
	return nil
}

// arrowSchema executes the statement — one that returns no rows, for
// the schema alone — and returns the Arrow schema of its result.
func (st *statement) arrowSchema() (*arrow.Schema, error) {
	var res C.duckdb_arrow
	if C.duckdb_execute_prepared_arrow(st.s, &res) == C.DuckDBError {
		msg := C.GoString(C.duckdb_query_arrow_error(res))
		C.duckdb_destroy_arrow(&res)
		return nil, errors.New(msg)
	}
	defer C.duckdb_destroy_arrow(&res)
	cs := (*C.struct_ArrowSchema)(C.calloc(1, C.sizeof_struct_ArrowSchema))
	defer C.free(unsafe.Pointer(cs))
	if C.sluice_arrow_schema(res, cs) == C.DuckDBError {
		return nil, errors.New("DuckDB cannot describe the result as Arrow")
	}
	// ImportCArrowSchema copies what it needs and releases the C schema.
	return cdata.ImportCArrowSchema((*cdata.CArrowSchema)(unsafe.Pointer(cs)))
}

// result is a streaming query result.
type result struct {
	r      C.duckdb_result
	schema *arrow.Schema
	done   bool
}

// stream executes the statement and returns its result unread.
func (st *statement) stream(schema *arrow.Schema) (*result, error) {
	r := &result{schema: schema}
	var cerr *C.char
	if C.sluice_execute_streaming(st.s, &r.r, &cerr) == C.DuckDBError {
		msg := C.GoString(cerr)
		C.free(unsafe.Pointer(cerr))
		return nil, errors.New(msg)
	}
	return r, nil
}

// next returns the next chunk of rows as a record batch whose buffers
// DuckDB allocated (released with the record), or nil at the end.
func (r *result) next() (arrow.RecordBatch, error) {
	if r.done {
		return nil, nil
	}
	chunk := C.duckdb_fetch_chunk(r.r)
	if chunk == nil {
		r.done = true
		if msg := C.duckdb_result_error(&r.r); msg != nil {
			return nil, errors.New(C.GoString(msg))
		}
		return nil, nil
	}
	defer C.duckdb_destroy_data_chunk(&chunk)
	ca := (*C.struct_ArrowArray)(C.calloc(1, C.sizeof_struct_ArrowArray))
	defer C.free(unsafe.Pointer(ca))
	C.sluice_chunk_to_arrow(&r.r, chunk, ca)
	if ca.release == nil {
		return nil, errors.New("DuckDB cannot convert a chunk of the result to Arrow")
	}
	// The import moves the array out of ca; the record owns it now.
	return cdata.ImportCRecordBatchWithSchema((*cdata.CArrowArray)(unsafe.Pointer(ca)), r.schema)
}

func (r *result) close() { C.duckdb_destroy_result(&r.r) }
