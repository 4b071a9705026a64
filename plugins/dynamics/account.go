package dynamics

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/sluicedata/sluice/plugins/internal/valfmt"
	"github.com/sluicedata/sluice/sdk"
)

// association is the compiled account block: contacts and leads find their
// parent account by rules, tried in order like match rules; an account that
// does not exist is created once per run if asked, however many rows — in
// however many concurrent batches — name it.
type association struct {
	cfg   *AccountConfig
	rules []*rule
	// def finds the default account of on_none = "default", as a rule
	// would; nil without one.
	def        *rule
	createCols []string
	createProg []int
	// target is the account table, with the create mapping bound to it.
	target *target
}

// acctResult is the account a row is associated with.
type acctResult struct {
	id string
	// planned: the account is created by this run (in a plan: would be).
	planned bool
	label   string
	// creates: this row's write creates it.
	creates bool
}

const accountTable = "account"

// codeAccount is the row error code of a row whose account could not be
// settled: none or several matched and the block says reject.
const codeAccount = "dynamics.account"

func compileAssociation(cfg *AccountConfig, add func(sdk.Expr) int) *association {
	a := &association{cfg: cfg, rules: compileRules(cfg.Rules, sdk.Path{"account"}, add)}
	if len(cfg.Default) > 0 {
		at := sdk.Path{"account", "default"}
		a.def = compileRule("default", compareInsensitive, at, at, cfg.Default, nil, add)
		a.def.desc = "default account"
	}
	for col := range cfg.Create {
		a.createCols = append(a.createCols, col)
	}
	sort.Strings(a.createCols)
	for _, col := range a.createCols {
		a.createProg = append(a.createProg, add(cfg.Create[col]))
	}
	return a
}

// allRules are the block's rules and the default account's lookup.
func (a *association) allRules() []*rule {
	if a.def == nil {
		return a.rules
	}
	return append(slices.Clone(a.rules), a.def)
}

// bind checks the block against the account table and the tables whose
// records are associated.
func (a *association) bind(ctx context.Context, m *matcher) (sdk.Diagnostics, error) {
	var diags sdk.Diagnostics
	t, err := m.s.meta.table(ctx, accountTable, true)
	if noTable, ok := err.(*errNoTable); ok {
		return sdk.Diagnostics{{Severity: sdk.Error, Summary: "No account table", Detail: noTable.Error(), Path: sdk.Path{"account"}}}, nil
	}
	if err != nil {
		return nil, err
	}
	if a.cfg.OnNone == onNoneCreate {
		if err := m.s.meta.probeBulk(ctx, t); err != nil {
			return nil, err
		}
	}
	// The association has a target of its own, even when account is also a
	// table the match searches: it reads and creates other columns.
	a.target = &target{t: t, views: map[string]*writer{}}
	if a.cfg.OnNone == onNoneCreate {
		for i, col := range a.createCols {
			path := sdk.Path{"account", "create", col}
			c := t.Columns[col]
			switch {
			case c == nil:
				diags = append(diags, unknownColumn(t, col, path, "mapping")...)
				continue
			case !c.ValidForCreate:
				diags = append(diags, notWritable(t, c, path, "set when a record is created"))
				continue
			case c.isLookup():
				diags = append(diags, sdk.Errorf(path, "new accounts take values, not lookups; %s is a lookup", col)...)
				continue
			}
			conv := converterFor(c)
			if conv == nil {
				diags = append(diags, sdk.Errorf(path, "%s has type %s, which the sink does not write", col, c.Type)...)
				continue
			}
			f := &field{spec: &fieldSpec{Column: col, Path: path}, col: c, conv: conv, value: a.createProg[i],
				prefix: append(valfmt.AppendJSONString(nil, col), ':')}
			if f.value >= 0 {
				diags = append(diags, checkType(c, m.programs[f.value], path)...)
			}
			a.target.fields = append(a.target.fields, &mfield{field: f, read: col,
				extra: &fieldExtra{cands: []int{f.value}, def: -1, update: updateOverwrite, empty: emptySkip}})
		}
		diags = append(diags, m.requiredFor(a.target, sdk.Path{"account", "create"}, "Accounts are created for rows whose account is missing", "add it to create")...)
	}
	diags = append(diags, m.bindRules(ctx, a.allRules(), []*target{a.target})...)
	for name, tg := range m.byName {
		col := a.cfg.column(name)
		if col == "" {
			continue
		}
		path := sdk.Path{"account", "column", name}
		if _, explicit := a.cfg.Column[name]; !explicit {
			path = sdk.Path{"account"}
		}
		c := tg.t.Columns[col]
		switch {
		case c == nil:
			diags = append(diags, unknownColumn(tg.t, col, path, "mapping")...)
			continue
		case !c.isLookup() || !slices.Contains(c.Targets, accountTable):
			diags = append(diags, sdk.Errorf(path, "%s.%s is not a lookup to account", name, col)...)
			continue
		case c.Navigation[accountTable] == "":
			diags = append(diags, sdk.Errorf(path, "%s.%s has no navigation property to account", name, col)...)
			continue
		}
		tg.assoc = &field{spec: &fieldSpec{Column: col, Path: path}, col: c, target: t,
			prefix: append(valfmt.AppendJSONString(nil, c.Navigation[accountTable]+"@odata.bind"), ':')}
	}
	return diags, nil
}

// associate settles the account of every row about to be written whose
// table is associated: found by the block's rules (one query per rule for
// the batch), created once per run when none is found and on_none says so.
func (b *matchBatch) associate(ctx context.Context) error {
	m := b.m
	a := m.account
	var need []*mrow
	for _, r := range b.rows {
		if (r.act != actCreate && r.act != actUpdate) || r.tg.assoc == nil {
			continue
		}
		if r.act == actUpdate {
			cur := r.rec.vals[readProp(r.tg.assoc.col)]
			if a.cfg.Update == updateNever || a.cfg.Update == updateIfEmpty && !isEmptyCRM(cur) {
				continue
			}
		}
		need = append(need, r)
	}
	if len(need) == 0 {
		return nil
	}
	hits, err := m.search(ctx, a.rules, []*target{a.target}, searchRules, need)
	if err != nil {
		return err
	}
	var creating, defaulting []*mrow
	for _, r := range need {
		h := hits[r]
		switch {
		case h == nil:
			named := len(b.accountIdentities(r)) > 0
			switch {
			case a.cfg.OnNone == onNoneDefault:
				// Like a mapping entry's default: for a new record, or one
				// without an account; never instead of the account it has.
				if r.act == actCreate || isEmptyCRM(r.rec.vals[readProp(r.tg.assoc.col)]) {
					defaulting = append(defaulting, r)
				}
			case !named:
				// The row names no account.
			case a.cfg.OnNone == onNoneCreate:
				creating = append(creating, r)
			case a.cfg.OnNone == onNoneReject:
				r.reject(codeAccount, "no account matches "+b.accountLabel(r))
			}
		case h.err != nil:
			r.reject(errorCode(h.err), "looking up the account: "+rowMessage(h.err))
		case len(h.cands) == 1:
			r.acct = &acctResult{id: h.cands[0].id}
		default:
			rec, msg := choose(h.cands, a.cfg.OnMultiple)
			if rec == nil {
				r.reject(codeAccount, fmt.Sprintf("account rule %q (%s) finds %d accounts: %s", h.b.rule.name, h.b.describe(r.keys[h.b]), len(h.cands), msg))
				continue
			}
			r.acct = &acctResult{id: rec.id}
		}
	}
	if len(defaulting) > 0 {
		if err := b.defaultAccounts(ctx, defaulting); err != nil {
			return err
		}
	}
	if len(creating) == 0 {
		return nil
	}
	return b.createAccounts(ctx, creating)
}

// defaultAccounts associates rows whose account no rule finds with the
// default account: one lookup for the batch. A row whose default account
// does not exist, or is ambiguous, is rejected.
func (b *matchBatch) defaultAccounts(ctx context.Context, rows []*mrow) error {
	rows = b.defaultKeys(rows)
	hits, err := b.m.search(ctx, []*rule{b.m.account.def}, []*target{b.m.account.target}, searchRules, rows)
	if err != nil {
		return err
	}
	for _, r := range rows {
		id, code, problem := b.defaultAccount(r, hits[r])
		switch {
		case problem != "":
			r.reject(code, b.noAccount(r)+", and "+problem)
		case id != "":
			r.acct = &acctResult{id: id}
			r.addNote(b.noAccount(r) + ": the default account (" + b.defaultLabel(r) + ")")
		}
	}
	return nil
}

// defaultKeys works out the default account's key for rows that need it
// — only those: a default that cannot be compared with its column (a
// malformed GUID) rejects only the rows that would use it — and returns
// the rows not rejected.
func (b *matchBatch) defaultKeys(rows []*mrow) []*mrow {
	out := rows[:0:0]
	for _, r := range rows {
		ok := true
		for _, rb := range b.m.account.def.order {
			k, err := rb.key(r.res)
			if err != nil {
				r.reject(codeKey, b.noAccount(r)+", and "+err.Error())
				ok = false
				break
			}
			if k != nil {
				r.keys[rb] = k
			}
		}
		if ok {
			out = append(out, r)
		}
	}
	return out
}

// defaultAccount settles a row's default account from what its lookup
// found: the account's id; or a problem, with its code; or neither, when
// the default's expressions give the row no value.
func (b *matchBatch) defaultAccount(r *mrow, h *hit) (id, code, problem string) {
	a := b.m.account
	label := b.defaultLabel(r)
	switch {
	case label == "":
		return "", "", ""
	case h == nil:
		return "", codeAccount, "the default account (" + label + ") does not exist"
	case h.err != nil:
		return "", errorCode(h.err), "looking up the default account (" + label + "): " + rowMessage(h.err)
	case len(h.cands) == 1:
		return h.cands[0].id, "", ""
	}
	rec, msg := choose(h.cands, a.cfg.OnMultiple)
	if rec == nil {
		return "", codeAccount, fmt.Sprintf("the default account (%s) is ambiguous: %d accounts match, and on_multiple = \"reject\": %s", label, len(h.cands), msg)
	}
	return rec.id, "", ""
}

// defaultLabel describes a row's default account, or is "" when the
// default gives the row no value.
func (b *matchBatch) defaultLabel(r *mrow) string {
	for _, rb := range b.m.account.def.order {
		if k := r.keys[rb]; k != nil {
			return rb.describe(k)
		}
	}
	return ""
}

// noAccount says why a row has no account of its own.
func (b *matchBatch) noAccount(r *mrow) string {
	if len(b.accountIdentities(r)) == 0 {
		return "the row names no account"
	}
	return "no account matches " + b.accountLabel(r)
}

// accountIdentities are what makes two rows name the same account.
func (b *matchBatch) accountIdentities(r *mrow) []string {
	var out []string
	for _, rl := range b.m.account.rules {
		for _, rb := range rl.order {
			if k := r.keys[rb]; k != nil {
				out = append(out, "a\x02"+identity(rl, k))
			}
		}
	}
	return out
}

// accountLabel describes the account a row names.
func (b *matchBatch) accountLabel(r *mrow) string {
	for _, rl := range b.m.account.rules {
		for _, rb := range rl.order {
			if k := r.keys[rb]; k != nil {
				return rb.describe(k)
			}
		}
	}
	return "(no value)"
}

// createAccounts creates the accounts rows name and no lookup found, once
// per run: the first row of the run that names an account creates it, and
// every other row, in this batch or another, waits for it and uses it.
func (b *matchBatch) createAccounts(ctx context.Context, rows []*mrow) error {
	m := b.m
	l := m.ledger
	type owned struct {
		c *accountClaim
		r *mrow
	}
	var mine []owned
	claims := make([]*accountClaim, len(rows))
	l.mu.Lock()
	for i, r := range rows {
		ids := b.accountIdentities(r)
		var c *accountClaim
		for _, id := range ids {
			if c = l.accounts[id]; c != nil {
				break
			}
		}
		if c == nil {
			c = &accountClaim{done: make(chan struct{}), id: newID(), label: b.accountLabel(r), planned: true}
			mine = append(mine, owned{c, r})
		}
		for _, id := range ids {
			if l.accounts[id] == nil {
				l.accounts[id] = c
			}
		}
		claims[i] = c
	}
	l.mu.Unlock()

	if len(mine) > 0 {
		if b.dry {
			for _, o := range mine {
				close(o.c.done)
			}
		} else {
			items := make([]*item, 0, len(mine))
			byRow := map[int]*accountClaim{}
			for _, o := range mine {
				body, rerr := b.createBody(o.r, m.account.target)
				if rerr != nil {
					o.c.err = fmt.Errorf("%s", rerr.Message)
					continue
				}
				items = append(items, &item{row: o.r.row, id: o.c.id, newByID: true, fields: body, existed: -1})
				byRow[o.r.row] = o.c
			}
			out := &outcome{}
			err := m.view(m.account.target, opCreate).writeItems(ctx, items, out)
			for _, e := range out.rejects {
				if c := byRow[e.Row]; c != nil {
					c.err = fmt.Errorf("creating the account %s: %s (%s)", c.label, e.Message, e.Code)
				}
			}
			l.mu.Lock()
			for _, o := range mine {
				if err != nil && o.c.err == nil {
					o.c.err = err
				}
				o.c.planned = false
				if o.c.err != nil {
					// Forget it, so that a later row tries again.
					for id, c := range l.accounts {
						if c == o.c {
							delete(l.accounts, id)
						}
					}
				}
				close(o.c.done)
			}
			l.mu.Unlock()
			if err != nil {
				return err
			}
		}
	}
	for i, r := range rows {
		c := claims[i]
		if err := c.wait(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.reject(codeAccount, err.Error())
			continue
		}
		r.acct = &acctResult{id: c.id, planned: b.dry, label: c.label}
	}
	for _, o := range mine {
		if o.r.acct != nil {
			o.r.acct.creates = true
		}
	}
	return nil
}

// createBody is the body of a record created in tg from a row: every
// non-empty value of its fields.
func (b *matchBatch) createBody(r *mrow, tg *target) ([]byte, *sdk.RowError) {
	var body []byte
	for _, f := range tg.fields {
		v, rerr := b.fieldValue(r, f)
		if rerr != nil {
			return nil, rerr
		}
		if isEmpty(v) {
			continue
		}
		val, err := f.conv(nil, v)
		if err != nil {
			return nil, rowErr(r.row, err)
		}
		body = appendMember(body, f.prefix)
		body = append(body, val...)
	}
	return body, nil
}
