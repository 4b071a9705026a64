package serve_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/serve"
)

type authConfig struct {
	Tenant string `sluice:"tenant,required"`
}

type config struct {
	Path    string            `sluice:"path,required"`
	Timeout time.Duration     `sluice:"timeout" default:"30s"`
	Tags    []string          `sluice:"tags"`
	Labels  map[string]int    `sluice:"labels"`
	Auth    *authConfig       `sluice:"auth,block"`
	Mapping map[string]string `sluice:"mapping,block"`
}

var plugin = sdk.SinkPlugin(sdk.Info{Name: "things", Version: "1.0.0"}, func(config) (sdk.Sink, error) { return nil, nil })

// describe prints each type's kind by name, and what it prints decodes
// into Entry as the schema the plugin declared.
func TestDescribeNamesKinds(t *testing.T) {
	var buf bytes.Buffer
	if err := serve.Describe(&buf, plugin); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if n := regexp.MustCompile(`"Kind": \d`).FindString(out); n != "" {
		t.Errorf("describe printed a kind as a number (%s):\n%s", n, out)
	}
	for _, want := range []string{
		`"Name": "path"`, `"Kind": "string"`, `"Kind": "duration"`, `"Kind": "list"`, `"Kind": "map"`, `"Kind": "integer"`,
		`"Name": "auth"`, `"Name": "tenant"`, `"Attrs": {`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("describe printed no %s:\n%s", want, out)
		}
	}
	var entries []serve.Entry
	if err := json.Unmarshal(buf.Bytes(), &entries); err != nil {
		t.Fatalf("decoding describe's output: %v", err)
	}
	if len(entries) != 1 || entries[0].Kind != sdk.KindSink || entries[0].Info.Name != "things" {
		t.Fatalf("decoded %+v", entries)
	}
	if !reflect.DeepEqual(entries[0].Schema, plugin.Schema()) {
		t.Errorf("decoded schema %s\nwant %s", mustJSON(t, entries[0].Schema), mustJSON(t, plugin.Schema()))
	}
}

// The wire protocol's Describe sends the schema with encoding/json's own
// encoding: kinds stay numbers, which an engine that predates their names
// reads.
func TestSchemaKindsStayNumbersOnTheWire(t *testing.T) {
	if out := mustJSON(t, plugin.Schema()); !strings.Contains(out, `"Kind":8`) || strings.Contains(out, `"Kind":"`) {
		t.Errorf("the schema's JSON changed its kinds:\n%s", out)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
