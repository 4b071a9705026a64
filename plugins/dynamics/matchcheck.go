package dynamics

import (
	"context"
	"fmt"
	"strings"

	"github.com/sluicedata/sluice/sdk"
)

// checkMatch checks the match, merge and account blocks against the
// definitions of the tables they search and write, for `sluice check`, and
// reads one record of each (read privilege).
func (s *Sink) checkMatch(ctx context.Context, host sdk.Host, t *table) sdk.CheckStep {
	m, diags, err := s.boundMapping(ctx, host, t)
	if err != nil {
		return sdk.CheckStep{Name: "match", Detail: err.Error(), Advice: s.advice(err)}
	}
	if diags.HasErrors() {
		return sdk.CheckStep{Name: "match", Detail: "the mapping has mistakes", Advice: "Fix the mapping first."}
	}
	match, ds := compileMatch(s, m, s.in)
	if !ds.HasErrors() {
		var bound sdk.Diagnostics
		if bound, err = match.bind(ctx, t, m, constantEvaluator(s.in, host.Allocator())); err != nil {
			return sdk.CheckStep{Name: "match", Detail: err.Error(), Advice: s.advice(err)}
		}
		ds = append(ds, bound...)
	}
	var problems []string
	for _, d := range ds {
		if d.Severity == sdk.Error {
			problems = append(problems, d.Error())
		}
	}
	if len(problems) > 0 {
		return sdk.CheckStep{Name: "match", Detail: strings.Join(problems, "; "),
			Advice: "Fix the match block; `sluice validate --online` shows each mistake at its line and column."}
	}
	var names []string
	for _, tg := range match.tables {
		names = append(names, tg.t.LogicalName)
		if _, err := s.get(ctx, tg.t.EntitySetName+"?$select="+tg.t.PrimaryID+"&$top=1"); err != nil {
			return sdk.CheckStep{Name: "match", Detail: fmt.Sprintf("reading %s: %v", tg.t.EntitySetName, err), Advice: s.advice(err)}
		}
	}
	detail := fmt.Sprintf("%d %s searching %s; new records go to %s", len(match.rules), plural(len(match.rules), "rule", "rules"),
		strings.Join(names, ", "), match.creates.t.LogicalName)
	if match.account != nil {
		detail += fmt.Sprintf("; accounts found by %d %s", len(match.account.rules), plural(len(match.account.rules), "rule", "rules"))
	}
	return sdk.CheckStep{Name: "match", OK: true, Detail: detail}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
