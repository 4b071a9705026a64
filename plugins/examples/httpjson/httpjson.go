// Package httpjson is an example Sluice source plugin that reads a
// paginated JSON HTTP API: each page is a JSON object whose `items` array
// holds the records and whose `next` field holds the URL of the next page.
// It is written against the SDK only, so the same Source value can be
// compiled into a program that embeds the engine or served from its own
// binary (cmd/sluice-plugin-httpjson).
//
// Each page becomes one batch, and its checkpoint is the URL of the next
// page, so a rerun that resumes from a checkpoint reads the pages after it.
// A record whose value does not fit its column is rejected with the reason,
// not dropped.
package httpjson

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
)

// Config is the source's configuration.
type Config struct {
	URL     string            `sluice:"url,required" doc:"The URL of the first page." example:"\"https://api.example.com/people?page=1\""`
	Items   string            `sluice:"items" default:"items" doc:"The field of each page that holds the array of records."`
	Next    string            `sluice:"next" default:"next" doc:"The field of each page that holds the next page's URL, absolute or relative; absent, null or empty on the last page."`
	Columns map[string]string `sluice:"columns,required" doc:"The columns to read from each record, as name = type, where type is string, int64, float64 or bool. Columns come out in name order." example:"{ id = \"int64\", name = \"string\" }"`
	Headers map[string]string `sluice:"headers,sensitive" doc:"HTTP headers sent with every request, such as Authorization."`
	Timeout time.Duration     `sluice:"timeout" default:"30s" doc:"How long one page may take."`
}

// Source is the httpjson source plugin.
var Source = sdk.SourcePlugin(sdk.Info{
	Name:    "httpjson",
	Version: "0.1.0",
	Summary: "Reads records from a paginated JSON HTTP API.",
	Examples: []sdk.Example{{
		Title: "People, page by page",
		HCL: `source "httpjson" "people" {
  url     = "https://api.example.com/people?page=1"
  columns = { id = "int64", name = "string", score = "float64" }
}`,
	}},
}, newSource)

var types = map[string]arrow.DataType{
	"string":  arrow.BinaryTypes.String,
	"int64":   arrow.PrimitiveTypes.Int64,
	"float64": arrow.PrimitiveTypes.Float64,
	"bool":    arrow.FixedWidthTypes.Boolean,
}

func newSource(cfg Config) (sdk.Source, error) {
	var diags sdk.Diagnostics
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		diags = append(diags, sdk.Errorf(sdk.Path{"url"}, "url must be an http or https URL")...)
	}
	if len(cfg.Columns) == 0 {
		diags = append(diags, sdk.Errorf(sdk.Path{"columns"}, "name at least one column")...)
	}
	names := make([]string, 0, len(cfg.Columns))
	for name := range cfg.Columns {
		names = append(names, name)
	}
	slices.Sort(names)
	fields := make([]arrow.Field, 0, len(names))
	for _, name := range names {
		t, ok := types[cfg.Columns[name]]
		if !ok {
			diags = append(diags, sdk.Errorf(sdk.Path{"columns", name}, "unknown type %q: use string, int64, float64 or bool", cfg.Columns[name])...)
			continue
		}
		fields = append(fields, arrow.Field{Name: name, Type: t, Nullable: true})
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return &source{cfg: cfg, schema: arrow.NewSchema(fields, nil)}, nil
}

type source struct {
	cfg    Config
	schema *arrow.Schema
	client *http.Client
	mem    memory.Allocator
}

func (s *source) Open(_ context.Context, host sdk.Host) (*arrow.Schema, error) {
	s.client = &http.Client{Timeout: s.cfg.Timeout}
	s.mem = host.Allocator()
	return s.schema, nil
}

func (s *source) Close(context.Context) error {
	if s.client != nil {
		s.client.CloseIdleConnections()
	}
	return nil
}

// Read fetches pages until one has no next page. A checkpoint is the URL
// of the page to read next.
func (s *source) Read(ctx context.Context, from sdk.Checkpoint, emit sdk.Emitter) error {
	next := s.cfg.URL
	if from != nil {
		next = string(from)
	}
	for next != "" {
		items, following, err := s.page(ctx, next)
		if err != nil {
			return err
		}
		rec, rejects := s.build(items)
		err = emit.Emit(ctx, sdk.Batch{Record: rec, Rejects: rejects, Checkpoint: sdk.Checkpoint(following)})
		rec.Release()
		if err != nil {
			return err
		}
		next = following
	}
	return nil
}

// page fetches one page and returns its records and the next page's URL.
func (s *source) page(ctx context.Context, pageURL string) ([]map[string]any, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, pageURL, nil)
	if err != nil {
		return nil, "", err
	}
	for k, v := range s.cfg.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, "", fmt.Errorf("GET %s: %s: %s", pageURL, resp.Status, body)
	}
	var page map[string]json.RawMessage
	dec := json.NewDecoder(resp.Body)
	if err := dec.Decode(&page); err != nil {
		return nil, "", fmt.Errorf("GET %s: the page is not a JSON object: %w", pageURL, err)
	}
	var items []map[string]any
	if raw, ok := page[s.cfg.Items]; ok {
		d := json.NewDecoder(bytesReader(raw))
		d.UseNumber()
		if err := d.Decode(&items); err != nil {
			return nil, "", fmt.Errorf("GET %s: %q is not an array of objects: %w", pageURL, s.cfg.Items, err)
		}
	}
	var next string
	if raw, ok := page[s.cfg.Next]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &next); err != nil {
			return nil, "", fmt.Errorf("GET %s: %q is not a URL string", pageURL, s.cfg.Next)
		}
	}
	if next != "" {
		base, _ := url.Parse(pageURL)
		ref, err := url.Parse(next)
		if err != nil {
			return nil, "", fmt.Errorf("GET %s: next page %q: %w", pageURL, next, err)
		}
		next = base.ResolveReference(ref).String()
	}
	return items, next, nil
}
