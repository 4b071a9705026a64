package dynamics

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/rowexpr"
)

// matcher is a sink's match, merge and account configuration, compiled:
// every expression against the input schema (offline, so `sluice validate`
// reports their mistakes) and, once the environment is known, every column
// against the definitions of the tables searched and written.
type matcher struct {
	s   *Sink
	cfg *MatchConfig
	// defaults of the per-field policies
	update, empty string

	// programs are the mapping's (s.mapping.programs, by the same indexes)
	// followed by the match's own. The values of mapping entries and
	// lookups are strict: an expression failing on a row rejects the row,
	// as without a match block. The others — rules, the candidates of a
	// hierarchy, defaults, order_by, the new account's columns — are
	// lenient: one failing on a row (a null passed to a function) gives
	// null, so a rule does not apply, a hierarchy goes on to its next
	// candidate.
	programs []*rowexpr.Program
	strict   []int
	lenient  []int
	eval     *evaluatorPool   // the strict programs
	evalEach []*evaluatorPool // one per lenient program

	rules   []*rule
	orderBy int // program index, or -1
	// extras are the merge options of each mapping entry.
	extras map[*fieldSpec]*fieldExtra

	account *association
	// noneCode is the code of rows rejected by on_none = "reject".
	noneCode string
	// withKey adds the key columns of a sink without a match block to its
	// fields, set on new records as a write by key sets them, and rejects
	// rows without a key, as a write by key does.
	withKey bool

	// Set by bind.
	tables  []*target // searched, in order
	creates *target   // where on_none and on_match = create create records
	byName  map[string]*target
	ledger  *ledger
	idents  keyQueue // rows' identities, held from lookup to write
	records keyQueue // records' ids, held while writing
	// arrivals numbers rows in the order their batches queue for their
	// identities, which ranks rows without order_by.
	arrivalMu sync.Mutex
	arrivals  atomic.Int64
	viewMu    sync.Mutex
}

// fieldExtra is what a mapping entry adds to the mapping's compiled field.
type fieldExtra struct {
	cands         []int // program indexes of the hierarchy, first the mapping's own
	def           int   // default's program, or -1
	update, empty string
}

// rule is a compiled rule.
type rule struct {
	name    string
	compare string
	path    sdk.Path
	// equalsAt is where its columns are written: the rule's equals, or the
	// account block's default.
	equalsAt sdk.Path
	// desc names it in messages, as "default account"; "" for a rule
	// block.
	desc  string
	cols  []string // as written, sorted
	progs []int    // program index of each column's expression
	only  []string // tables it searches; nil: all
	// binds are the rule on each table it searches; order the same, in
	// the order of the tables.
	binds map[*target]*ruleBind
	order []*ruleBind
}

// ruleBind is a rule on one table: how each column is filtered and read.
type ruleBind struct {
	rule  *rule
	t     *target
	parts []rulePart
}

type rulePart struct {
	name string  // as written
	col  *column // the column, on the table or the related table
	// prop is the filter property: the column, _<lookup>_value, or
	// <navigation>/<column>.
	prop string
	// nav and navCol, for a related column: the navigation property
	// expanded to read it, and the column read.
	nav, navCol string
	guid        bool
}

// target is a table the sink searches or writes, with the mapping bound to
// it.
type target struct {
	t      *table
	fields []*mfield
	// assoc is the account lookup of this table, when the account block
	// associates its records.
	assoc *field
	// selects and expands are what lookups read of its records: the ids,
	// the times on_multiple compares, the rules' columns and the current
	// values merge policies compare with.
	selects []string
	expands map[string][]string
	views   map[string]*writer
}

// mfield is a mapping entry bound to one table.
type mfield struct {
	*field
	extra *fieldExtra
	// read is the property its current value is read from.
	read string
}

// compileMatch compiles the match configuration's expressions against the
// input schema. base is the compiled mapping, whose programs come first.
func compileMatch(s *Sink, base *mapping, schema *arrow.Schema) (*matcher, sdk.Diagnostics) {
	return compileMatcher(s, s.cfg.Match, s.cfg.Merge, s.cfg.Account, base, schema)
}

func compileMatcher(s *Sink, mc *MatchConfig, merge *MergeConfig, acct *AccountConfig, base *mapping, schema *arrow.Schema) (*matcher, sdk.Diagnostics) {
	m := &matcher{s: s, cfg: mc, update: updateOverwrite, empty: emptySkip, orderBy: -1,
		programs: slices.Clone(base.programs), extras: map[*fieldSpec]*fieldExtra{}, noneCode: codeNoMatch}
	if merge != nil {
		m.update, m.empty = merge.Update, merge.Empty
	}
	var diags sdk.Diagnostics
	add := func(e sdk.Expr) int {
		p, err := rowexpr.Compile(e, schema)
		if err != nil {
			diags = append(diags, sdk.AsDiagnostics(err)...)
			return -1
		}
		m.programs = append(m.programs, p)
		return len(m.programs) - 1
	}
	for _, f := range base.fields {
		x := &fieldExtra{def: -1, update: f.spec.Update, empty: f.spec.Empty}
		if x.update == "" {
			x.update = m.update
		}
		if x.empty == "" {
			x.empty = m.empty
		}
		if !f.spec.isLookup() {
			x.cands = []int{f.value}
			for _, c := range f.spec.Candidates[min(1, len(f.spec.Candidates)):] {
				x.cands = append(x.cands, add(c))
			}
		}
		if !f.spec.Default.IsZero() {
			x.def = add(f.spec.Default)
		}
		m.extras[f.spec] = x
	}
	m.rules = compileRules(mc.Rules, sdk.Path{"match"}, add)
	if !mc.OrderBy.IsZero() {
		m.orderBy = add(mc.OrderBy)
	}
	if acct != nil {
		m.account = compileAssociation(acct, add)
	}
	lenient := map[int]bool{}
	for i := len(base.programs); i < len(m.programs); i++ {
		lenient[i] = true
	}
	for _, x := range m.extras {
		if len(x.cands) > 1 {
			lenient[x.cands[0]] = true
		}
	}
	strict := []*rowexpr.Program{}
	for i, p := range m.programs {
		if lenient[i] {
			m.lenient = append(m.lenient, i)
			m.evalEach = append(m.evalEach, &evaluatorPool{programs: []*rowexpr.Program{p}})
		} else {
			m.strict = append(m.strict, i)
			strict = append(strict, p)
		}
	}
	m.eval = &evaluatorPool{programs: strict}
	return m, diags
}

func compileRules(rules []RuleConfig, at sdk.Path, add func(sdk.Expr) int) []*rule {
	var out []*rule
	for _, rc := range rules {
		path := at.Child("rule").Child(rc.Name)
		out = append(out, compileRule(rc.Name, rc.Compare, path, path.Child("equals"), rc.Equals, rc.Tables, add))
	}
	return out
}

// compileRule compiles one rule: equals, written at equalsAt, compared as
// compare.
func compileRule(name, compare string, path, equalsAt sdk.Path, equals map[string]sdk.Expr, only []string, add func(sdk.Expr) int) *rule {
	r := &rule{name: name, compare: compare, path: path, equalsAt: equalsAt, only: only, binds: map[*target]*ruleBind{}}
	for col := range equals {
		r.cols = append(r.cols, col)
	}
	sort.Strings(r.cols)
	for _, col := range r.cols {
		r.progs = append(r.progs, add(equals[col]))
	}
	return r
}

// ref names the rule in a message: rule "email", the default account.
func (r *rule) ref() string {
	if r.desc != "" {
		return "the " + r.desc
	}
	return fmt.Sprintf("rule %q", r.name)
}

// what names the rule at the start of a message about its columns.
func (r *rule) what() string {
	if r.desc != "" {
		return "The " + r.desc + "'s lookup"
	}
	return fmt.Sprintf("The rule %q", r.name)
}

// searches reports whether the rule searches table t.
func (r *rule) searches(t string) bool { return len(r.only) == 0 || slices.Contains(r.only, t) }
