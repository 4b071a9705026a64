package dynamics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/plugins/internal/valfmt"
	"github.com/sluicedata/sluice/sdk"
)

// Sink writes rows to a Dataverse table. See the package documentation.
type Sink struct {
	cfg      Config
	ep       endpoint
	specs    []*fieldSpec
	warnings sdk.Diagnostics
	logger   *slog.Logger

	mapping    *mapping
	evaluators *evaluatorPool
	in         *arrow.Schema
	// w writes with the sink's operation.
	w *writer
	// match is the compiled match block, when there is one (matchcompile.go);
	// keyed the one a sink without plans with (plankeyed.go).
	match *matcher
	keyed keyedState

	// Set by an online Open.
	httpClient *http.Client
	client     *client
	meta       *metadataReader
	table      *table
	gov        *governor
	bulk       atomic.Bool
	keys       keyQueue
	odataType  []byte // "@odata.type":"Microsoft.Dynamics.CRM.<table>"
	idPrefix   []byte // "<primary id>":
	apiPath    string // /api/data/v9.2
	reserved   atomic.Int64
	warnedMax  atomic.Bool

	rowsIn    atomic.Int64
	closeOnce sync.Once

	// Leave actions (leave.go): what this run's rows addressed, and what
	// deactivate and clear send, worked out at the first Leave.
	mem            memory.Allocator
	addressed      keySet
	leaveOnce      sync.Once
	deactivateBody []byte
	deactivateErr  error
	clearBody      []byte
	clearsLookup   bool
	clearKept      []string
	warnedClear    atomic.Bool
}

// newSink checks the configuration; it does no I/O.
func newSink(cfg Config) (*Sink, error) {
	ep, specs, diags := cfg.validate()
	if diags.HasErrors() {
		return nil, diags
	}
	s := &Sink{cfg: cfg, ep: ep, specs: specs, warnings: diags, logger: slog.New(slog.DiscardHandler)}
	s.w = &writer{Sink: s, op: cfg.Operation, onMissing: cfg.OnMissing}
	return s, nil
}

// Open compiles the mapping against the input schema and, online, connects:
// it gets a token, asks WhoAmI for the recommended concurrency, reads the
// table's definition and checks the mapping against it.
func (s *Sink) Open(ctx context.Context, host sdk.Host, in *arrow.Schema) error {
	s.logger = host.Logger()
	s.mem = host.Allocator()
	s.in = in
	m, diags := compile(s.cfg.Operation, s.cfg.Key, s.specs, in)
	diags = append(slices.Clone(s.warnings), diags...)
	s.mapping = m
	s.evaluators = &evaluatorPool{programs: m.programs}
	if s.cfg.Match != nil {
		var ds sdk.Diagnostics
		s.match, ds = compileMatch(s, m, in)
		diags = append(diags, ds...)
	}
	if host.Offline() {
		if diags.HasErrors() {
			return diags
		}
		return s.warningsOnly(diags)
	}
	if err := s.connect(); err != nil {
		return err
	}
	conn, err := s.readEnvironment(ctx)
	if err != nil {
		return err
	}
	s.table = conn.table
	targets, err := s.readTargets(ctx)
	if err != nil {
		return err
	}
	m.targetSets = map[string]string{}
	for name, t := range targets {
		m.targetSets[name] = t.EntitySetName
	}
	diags = append(diags, m.bind(s.table, targets, sdk.Path{"key"}, constantEvaluator(in, host.Allocator()))...)
	diags = append(diags, s.choosePath()...)
	if s.match != nil {
		ds, err := s.match.bind(ctx, s.table, m, constantEvaluator(in, host.Allocator()))
		if err != nil {
			return s.fatal(err)
		}
		diags = append(withoutRequiredWarning(diags), ds...)
	}
	if diags.HasErrors() {
		return diags
	}
	s.odataType = append([]byte(`"@odata.type":`), valfmt.AppendJSONString(nil, "Microsoft.Dynamics.CRM."+s.table.LogicalName)...)
	s.idPrefix = append(valfmt.AppendJSONString(nil, s.table.PrimaryID), ':')
	ceiling := s.ceiling(conn.dopHint)
	path := "$batch"
	if s.w.useBulk() {
		path = s.w.bulkMessage()
	}
	s.logger.Info("connected to Dataverse", "environment", s.ep.base, "table", s.table.LogicalName,
		"entity_set", s.table.EntitySetName, "operation", s.cfg.Operation, "path", path, "dop_hint", conn.dopHint, "concurrency", ceiling)
	return s.warningsOnly(diags)
}

// warningsOnly logs the warnings among diags and returns nil: Open's
// contract is that an error fails it, and warnings must not.
func (s *Sink) warningsOnly(diags sdk.Diagnostics) error {
	for _, d := range diags {
		s.logger.Warn(d.Error(), "path", d.Path.String())
	}
	return nil
}

// connect builds the HTTP client, the token source and the Web API client.
func (s *Sink) connect() error {
	if s.client != nil {
		return nil
	}
	hc, err := newHTTPClient(s.cfg.Auth.CAFile)
	if err != nil {
		return err
	}
	ts, err := newTokenSource(&s.cfg.Auth, s.ep.scope, hc)
	if err != nil {
		hc.CloseIdleConnections()
		return err
	}
	var wh [][2]string
	if s.cfg.BypassCustomPlugins {
		wh = append(wh, [2]string{"MSCRM.BypassCustomPluginExecution", "true"})
	}
	if s.cfg.DuplicateDetection {
		wh = append(wh, [2]string{"MSCRM.SuppressDuplicateDetection", "false"})
	}
	s.httpClient = hc
	s.client = &client{http: hc, api: s.ep.api, tokens: ts, timeout: s.cfg.RequestTimeout, writeHeaders: wh}
	s.meta = &metadataReader{get: s.get}
	// Until WhoAmI tells the recommended concurrency, one request at a time.
	s.gov = newGovernor(1, 1, s.logger)
	u, _ := url.Parse(s.ep.api)
	s.apiPath = u.Path
	return nil
}

// environment is what Open learns from the service.
type environment struct {
	table   *table
	dopHint int
	userID  string
	orgID   string
}

// readEnvironment asks WhoAmI — one request, which also proves the
// credentials — then reads the table's definition and probes for bulk
// support at the concurrency WhoAmI's x-ms-dop-hint recommends. Failures
// carry advice.
func (s *Sink) readEnvironment(ctx context.Context) (*environment, error) {
	env := &environment{dopHint: 4}
	if err := s.whoAmI(ctx, env); err != nil {
		return nil, s.fatal(err)
	}
	s.gov.reset(s.ceiling(env.dopHint), env.dopHint)
	t, err := s.meta.table(ctx, s.cfg.Table, true)
	var noTable *errNoTable
	if errors.As(err, &noTable) {
		return nil, sdk.Errorf(sdk.Path{"table"}, "%v", noTable)
	}
	if err == nil && s.cfg.WritePath != pathBatch && s.cfg.Operation != opDelete {
		err = s.meta.probeBulk(ctx, t)
	}
	if err != nil {
		return nil, s.fatal(err)
	}
	env.table = t
	return env, nil
}

// ceiling is the most requests in flight: max_concurrency, or the service's
// recommendation.
func (s *Sink) ceiling(dopHint int) int {
	if s.cfg.MaxConcurrency > 0 {
		return s.cfg.MaxConcurrency
	}
	return dopHint
}

func (s *Sink) whoAmI(ctx context.Context, env *environment) error {
	resp, err := s.get(ctx, "WhoAmI")
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", s.ep.base, err)
	}
	var doc struct{ UserId, OrganizationId string }
	if err := json.Unmarshal(resp.body, &doc); err != nil || doc.UserId == "" {
		return fmt.Errorf("connecting to %s: WhoAmI answered something other than Dataverse's WhoAmIResponse", s.ep.base)
	}
	env.userID, env.orgID = doc.UserId, doc.OrganizationId
	if n, err := strconv.Atoi(resp.header.Get("x-ms-dop-hint")); err == nil && n > 0 {
		env.dopHint = min(n, maxConcurrencyLimit)
	}
	return nil
}

// get sends a GET through the governor, with retries.
func (s *Sink) get(ctx context.Context, path string) (*response, error) {
	resp, _, err := s.send(ctx, &request{method: http.MethodGet, path: path})
	return resp, err
}

// readTargets reads the tables lookups point to: the mapping's, and those
// of lookup columns in the key.
func (s *Sink) readTargets(ctx context.Context) (map[string]*table, error) {
	names := map[string]bool{}
	for _, f := range s.mapping.fields {
		if f.spec.Lookup != "" {
			names[f.spec.Lookup] = true
		} else if c := s.table.Columns[f.spec.Column]; c != nil && c.isLookup() && len(c.Targets) == 1 {
			names[c.Targets[0]] = true
		}
	}
	for _, p := range s.mapping.key.parts {
		if c := s.table.Columns[p.name]; c != nil && c.isLookup() {
			for _, t := range c.Targets {
				names[t] = true
			}
		}
	}
	out := map[string]*table{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []error
	for name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t, err := s.meta.table(ctx, name, false)
			mu.Lock()
			defer mu.Unlock()
			var noTable *errNoTable
			switch {
			case errors.As(err, &noTable):
			case err != nil:
				errs = append(errs, err)
			default:
				out[name] = t
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, s.fatal(err)
	}
	return out, nil
}

// choosePath decides between the bulk messages and $batch.
func (s *Sink) choosePath() sdk.Diagnostics {
	t := s.table
	supported := false
	switch s.cfg.Operation {
	case opUpsert:
		supported = t.BulkCreate && t.BulkUpdate
	case opCreate:
		supported = t.BulkCreate
	case opUpdate:
		supported = t.BulkUpdate
	}
	switch s.cfg.WritePath {
	case pathBulk:
		if !supported {
			return sdk.Errorf(sdk.Path{"write_path"}, "table %s does not support %s; use write_path = \"auto\" or \"batch\"", t.LogicalName, s.w.bulkMessage())
		}
		s.bulk.Store(true)
	case pathAuto:
		s.bulk.Store(supported)
	}
	return nil
}

// Write writes one batch: the rows are converted, collapsed by key, queued
// behind earlier writes of the same records, and sent.
func (s *Sink) Write(ctx context.Context, rec arrow.RecordBatch) (sdk.WriteResult, error) {
	if s.client == nil || s.table == nil {
		return sdk.WriteResult{}, errors.New("dynamics sink: Write before an online Open")
	}
	s.rowsIn.Add(rec.NumRows())
	if s.match != nil {
		return s.writeMatched(ctx, rec)
	}
	out := &outcome{}
	items := s.prepare(rec, out)
	if s.cfg.Operation != opCreate {
		s.addressed.add(items)
	}
	items = s.limit(items, out)
	items = s.collapse(items, out)
	if len(s.mapping.key.parts) > 0 && len(items) > 0 {
		keys := make([]string, len(items))
		for i, it := range items {
			keys[i] = it.key.canon
		}
		release, err := s.keys.acquire(ctx, keys)
		defer release()
		if err != nil {
			return sdk.WriteResult{}, err
		}
	}
	if err := s.w.writeItems(ctx, items, out); err != nil {
		return sdk.WriteResult{}, err
	}
	res := out.res
	res.Rejects = out.rejects
	slices.SortFunc(res.Rejects, func(a, b sdk.RowError) int { return a.Row - b.Row })
	return res, nil
}

// limit applies max_records: rows beyond it are skipped.
func (s *Sink) limit(items []*item, out *outcome) []*item {
	if s.cfg.MaxRecords <= 0 || len(items) == 0 {
		return items
	}
	n := int64(len(items))
	after := s.reserved.Add(n)
	over := after - int64(s.cfg.MaxRecords)
	if over <= 0 {
		return items
	}
	keep := max(0, n-over)
	if s.warnedMax.CompareAndSwap(false, true) {
		s.logger.Warn("max_records reached: the remaining rows are skipped", "max_records", s.cfg.MaxRecords)
	}
	out.add(func(r *sdk.WriteResult) { r.Skipped += int(n - keep) })
	return items[:keep]
}

// collapse keeps the last of rows with the same key: they address the same
// record, a bulk upsert refuses duplicate keys, and the last row's values
// are what writing them in order would leave. The others count as
// deduplicated.
func (s *Sink) collapse(items []*item, out *outcome) []*item {
	if len(s.mapping.key.parts) == 0 || len(items) < 2 {
		return items
	}
	last := make(map[string]int, len(items))
	for i, it := range items {
		last[it.key.canon] = i
	}
	if len(last) == len(items) {
		return items
	}
	kept := items[:0:0]
	for i, it := range items {
		if last[it.key.canon] == i {
			kept = append(kept, it)
		}
	}
	dups := len(items) - len(kept)
	out.add(func(r *sdk.WriteResult) { r.Deduplicated += dups })
	return kept
}

// Close logs what the sink did and closes its connections. Writes are
// synchronous, so there is nothing to flush.
func (s *Sink) Close(context.Context) error {
	s.closeOnce.Do(func() {
		if s.gov != nil {
			st := s.gov.snapshot()
			s.logger.Info("Dataverse sink done", "rows", s.rowsIn.Load(), "requests", st.Requests, "throttled", st.Throttled,
				"transient_failures", st.Failed, "paused", st.Paused.Round(1e6), "max_in_flight", st.MaxInFlight, "pace", math.Round(st.Pace*100)/100)
		}
		if s.httpClient != nil {
			s.httpClient.CloseIdleConnections()
		}
	})
	return nil
}

// Stats reports the sink's traffic: requests sent, 429s received and the
// like. Benchmarks and tests read it.
func (s *Sink) Stats() Traffic {
	if s.gov == nil {
		return Traffic{}
	}
	return s.gov.snapshot()
}
