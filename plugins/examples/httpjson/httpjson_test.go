package httpjson_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/sluicedata/sluice/plugins/examples/httpjson"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/plugintest"
)

func TestConformance(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		next := ""
		if page < 3 {
			next = fmt.Sprintf(`, "next": "?page=%d"`, page+1)
		}
		// Row 1 of every page has a score that is not a number: rejected.
		fmt.Fprintf(w, `{"items": [{"id": %d, "score": 1.5}, {"id": %d, "score": "x"}, {"id": %d}]%s}`, page*10, page*10+1, page*10+2, next)
	}))
	defer srv.Close()
	plugintest.Source(t, plugintest.SourceSuite{
		Common: plugintest.Common{
			Plugin: httpjson.Source,
			Config: fmt.Sprintf(`url = %q
columns = { id = "int64", score = "float64" }`, srv.URL+"/?page=1"),
			BadConfigs: []plugintest.BadConfig{
				{HCL: `url = "ftp://x"
columns = { id = "int64" }`, Path: sdk.Path{"url"}},
				{HCL: `url = "http://x"
columns = { id = "decimal" }`, Path: sdk.Path{"columns", "id"}},
				{HCL: `columns = { id = "int64" }`},
			},
		},
		MinRows: 9,
	})
}
