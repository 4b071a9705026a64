package dynamics

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sluicedata/sluice/sdk"
)

// Check tests the connection step by step — token, WhoAmI, the table's
// definition and key, read access, bulk support, the mapping — and turns a
// failure into advice for the environment's administrator. It writes
// nothing. It implements sdk.Checker for `sluice check`.
func (s *Sink) Check(ctx context.Context, host sdk.Host) []sdk.CheckStep {
	s.logger = host.Logger()
	var steps []sdk.CheckStep
	fail := func(name string, err error) []sdk.CheckStep {
		return append(steps, sdk.CheckStep{Name: name, Detail: err.Error(), Advice: s.advice(err)})
	}
	if err := s.connect(); err != nil {
		return fail("credentials", err)
	}
	if _, err := s.client.tokens.get(ctx); err != nil {
		return fail("token", err)
	}
	steps = append(steps, sdk.CheckStep{Name: "token", OK: true,
		Detail: fmt.Sprintf("client %s got a token for %s from %s", s.client.tokens.clientID, s.ep.scope, s.client.tokens.authority)})

	env := &environment{dopHint: 4}
	if err := s.whoAmI(ctx, env); err != nil {
		return fail("WhoAmI", err)
	}
	s.gov.reset(s.ceiling(env.dopHint), env.dopHint)
	steps = append(steps, sdk.CheckStep{Name: "WhoAmI", OK: true,
		Detail: fmt.Sprintf("application user %s in organization %s; the service suggests %d concurrent requests", env.userID, env.orgID, env.dopHint)})

	name := "table " + s.cfg.Table
	t, err := s.meta.table(ctx, s.cfg.Table, true)
	if err != nil {
		var noTable *errNoTable
		if errors.As(err, &noTable) {
			return append(steps, sdk.CheckStep{Name: name, Detail: err.Error(),
				Advice: "Give the table's logical name (Power Apps → Tables → the table → Properties → Logical name), in lower case."})
		}
		return fail(name, err)
	}
	detail := fmt.Sprintf("entity set %s, %d columns", t.EntitySetName, len(t.Columns))
	if len(s.cfg.Key) > 0 {
		cols := make([]string, 0, len(s.cfg.Key))
		for c := range s.cfg.Key {
			cols = append(cols, c)
		}
		switch k := t.key(cols); {
		case len(cols) == 1 && cols[0] == t.PrimaryID:
			detail += "; rows are found by the primary id " + t.PrimaryID
		case k == nil:
			return append(steps, sdk.CheckStep{Name: name, Detail: detail + fmt.Sprintf("; but %s is not an alternate key. %s", strings.Join(cols, " + "), describeKeys(t)),
				Advice: fmt.Sprintf("Define an alternate key on %s in Power Apps → Tables → %s → Keys → New key, or change key in the pipeline.", strings.Join(cols, ", "), t.SchemaName)})
		case k.Status != "" && k.Status != "Active":
			return append(steps, sdk.CheckStep{Name: name, Detail: detail + fmt.Sprintf("; the alternate key %s is %s", k.Name, k.Status), Advice: keyStatusAdvice(k.Status)})
		default:
			detail += fmt.Sprintf("; alternate key %s (%s) is active", k.Name, strings.Join(k.Columns, " + "))
		}
	}
	steps = append(steps, sdk.CheckStep{Name: name, OK: true, Detail: detail})

	readName := "read " + t.LogicalName
	if _, err := s.get(ctx, t.EntitySetName+"?$select="+t.PrimaryID+"&$top=1"); err != nil {
		return fail(readName, err)
	}
	steps = append(steps, sdk.CheckStep{Name: readName, OK: true, Detail: "the application user can read " + t.EntitySetName + " (write privileges are checked by the first write)"})

	if s.cfg.Operation != opDelete && s.cfg.WritePath != pathBatch {
		if err := s.meta.probeBulk(ctx, t); err != nil {
			return fail("bulk messages", err)
		}
		s.table = t
		if diags := s.choosePath(); diags.HasErrors() {
			return append(steps, sdk.CheckStep{Name: "bulk messages", Detail: diags.Error(), Advice: "Set write_path = \"auto\" to fall back to $batch."})
		}
		how := "not available: rows go through $batch"
		if s.w.useBulk() {
			how = s.w.bulkMessage() + " available"
		}
		steps = append(steps, sdk.CheckStep{Name: "bulk messages", OK: true, Detail: how})
	}

	if s.mapping != nil {
		steps = append(steps, s.checkMapping(ctx, host, t))
		if s.cfg.Match != nil {
			steps = append(steps, s.checkMatch(ctx, host, t))
		}
	}
	return steps
}

// boundMapping compiles the mapping and binds it to t, the table's
// definition, and the definitions of its lookups' targets, which it reads.
func (s *Sink) boundMapping(ctx context.Context, host sdk.Host, t *table) (*mapping, sdk.Diagnostics, error) {
	s.table = t
	targets, err := s.readTargets(ctx)
	if err != nil {
		return nil, nil, err
	}
	m, diags := compile(s.cfg.Operation, s.cfg.Key, s.specs, s.in)
	if !diags.HasErrors() {
		diags = append(diags, m.bind(t, targets, sdk.Path{"key"}, constantEvaluator(s.in, host.Allocator()))...)
	}
	return m, diags, nil
}

// checkMapping checks the mapping against the definition, as
// `sluice validate --online` does, and summarizes the result.
func (s *Sink) checkMapping(ctx context.Context, host sdk.Host, t *table) sdk.CheckStep {
	m, diags, err := s.boundMapping(ctx, host, t)
	if err != nil {
		return sdk.CheckStep{Name: "mapping", Detail: err.Error(), Advice: s.advice(err)}
	}
	var problems []string
	for _, d := range diags {
		if d.Severity == sdk.Error {
			problems = append(problems, d.Error())
		}
	}
	if len(problems) > 0 {
		return sdk.CheckStep{Name: "mapping", Detail: strings.Join(problems, "; "),
			Advice: "Fix the mapping; `sluice validate --online` shows each mistake at its line and column."}
	}
	what := fmt.Sprintf("%d mapped columns match", len(m.fields))
	if len(m.fields) == 1 {
		what = "the mapped column matches"
	}
	if len(m.key.parts) > 0 {
		what = "the key and " + what
	}
	return sdk.CheckStep{Name: "mapping", OK: true, Detail: what + " the table's definition"}
}
