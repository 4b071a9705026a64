package dynamics

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sluicedata/sluice/sdk"
)

// MatchConfig is the `match` block: how each row finds the record it is
// about, by ordered rules, and what happens when it finds one, several or
// none. See docs/matching.md.
type MatchConfig struct {
	Rules      []RuleConfig `sluice:"rule,block,required" doc:"A way to find a row's record, as rule \"<name>\" { equals = { <column> = \"<expression>\", … } }. Rules are tried in order; the first that finds a record decides."`
	Tables     []string     `sluice:"tables" doc:"Tables searched, in order of precedence, such as [\"contact\", \"lead\"]. Default: the sink's table." example:"[\"contact\", \"lead\"]"`
	Search     string       `sluice:"search" default:"rules" doc:"rules: each rule in turn searches every table, and when it finds records in several, the first table in tables wins. tables: each table in turn is searched with every rule."`
	OnMultiple string       `sluice:"on_multiple" default:"reject" doc:"When a rule finds several records: most_recently_modified, least_recently_modified, most_recently_created, least_recently_created, or reject (the row goes to the rejects with the candidates' ids)."`
	OnMatch    string       `sluice:"on_match" default:"update" doc:"When a record is found: update it, skip the row, create a new record anyway (a deliberate duplicate), or reject the row."`
	OnNone     string       `sluice:"on_none" default:"create" doc:"When no rule finds a record: create one (in create_as), skip the row, or reject it."`
	CreateAs   string       `sluice:"create_as" doc:"The table new records are created in. Default: the sink's table."`
	Keep       string       `sluice:"keep" default:"last" doc:"Of rows of one run that resolve to the same record (or would create the same one), which is written: last or first, by order_by, or in input order. The others count as deduplicated."`
	OrderBy    sdk.Expr     `sluice:"order_by" doc:"Expression ranking rows that resolve to the same record, for keep, such as \"updated_at\". Default: input order."`
}

// RuleConfig is one `rule` block.
type RuleConfig struct {
	Name    string              `sluice:"name,label"`
	Equals  map[string]sdk.Expr `sluice:"equals,required" doc:"Columns of the searched table, each with the expression its value must equal: { emailaddress1 = \"lower(trim(email))\" }. A column of a related record is written <navigation property>/<column>: \"parentcustomerid_account/name\". A row for which an expression gives null or empty text does not use the rule."`
	Compare string              `sluice:"compare" default:"case_insensitive" doc:"case_insensitive (as Dataverse compares text), exact (case and spaces count), or domain (one column holding a web address: compared by host name, without www.)."`
	Tables  []string            `sluice:"tables" doc:"The tables this rule searches, among the match block's. Default: all of them."`
}

// MergeConfig is the `merge` block: the defaults of the per-field policies.
type MergeConfig struct {
	Update string `sluice:"update" default:"overwrite" doc:"Default update policy of every mapped field: overwrite, if_empty (write only when the record's field is empty) or never (set on new records only)."`
	Empty  string `sluice:"empty" default:"skip" doc:"What an empty value (null, or text of spaces only) does: skip leaves the record's field as it is — a CRM value is never blanked out; write clears it."`
}

// AccountConfig is the `account` block: how contacts and leads find their
// parent account.
type AccountConfig struct {
	Rules      []RuleConfig        `sluice:"rule,block,required" doc:"How a row finds its account, tried in order, as rule \"<name>\" { equals = { <account column> = \"<expression>\" } }: an alternate key, the exact name, the website's domain."`
	Column     map[string]string   `sluice:"column" doc:"The lookup column set, per table. Default: parentcustomerid on contact, parentaccountid on lead." example:"{ contact = \"parentcustomerid\" }"`
	OnNone     string              `sluice:"on_none" default:"unassociated" doc:"When no account matches: create it (once per run, however many rows name it), leave the row unassociated, reject it, or default: associate it with the account default names."`
	OnMultiple string              `sluice:"on_multiple" default:"reject" doc:"When several accounts match: most_recently_modified (or the other choices of match.on_multiple), or reject."`
	Create     map[string]sdk.Expr `sluice:"create" doc:"The columns of an account created for on_none = \"create\", each with an expression over the row: { name = \"company\", websiteurl = \"website\" }."`
	Update     string              `sluice:"update" default:"overwrite" doc:"Update policy of the association on records found: overwrite, if_empty (associate only records without an account), or never."`
	Default    map[string]sdk.Expr `sluice:"default" doc:"The default account of on_none = \"default\", found by columns of account as a rule's equals: { accountnumber = \"'HOUSE'\" }, or by its id: { accountid = \"'<GUID>'\" }. Rows whose account no rule finds, or that name none, get it when their record is new or has no account; a default never replaces the account a record has." example:"{ accountnumber = \"'HOUSE'\" }"`
}

// Match options.
const (
	searchRules  = "rules"
	searchTables = "tables"

	compareInsensitive = "case_insensitive"
	compareExact       = "exact"
	compareDomain      = "domain"

	multipleReject         = "reject"
	multipleNewestModified = "most_recently_modified"
	multipleOldestModified = "least_recently_modified"
	multipleNewestCreated  = "most_recently_created"
	multipleOldestCreated  = "least_recently_created"

	onMatchUpdate = "update"
	onMatchSkip   = "skip"
	onMatchCreate = "create"
	onMatchReject = "reject"
	// onMatchDelete is how a plan sees a delete by key; a match block cannot
	// ask for it.
	onMatchDelete = "delete"

	onNoneCreate       = "create"
	onNoneSkip         = "skip"
	onNoneReject       = "reject"
	onNoneUnassociated = "unassociated"
	onNoneDefault      = "default"

	keepFirst = "first"
	keepLast  = "last"

	updateOverwrite = "overwrite"
	updateIfEmpty   = "if_empty"
	updateNever     = "never"

	emptySkip  = "skip"
	emptyWrite = "write"
)

var (
	multipleChoices = []string{multipleNewestModified, multipleOldestModified, multipleNewestCreated, multipleOldestCreated, multipleReject}
	updateChoices   = []string{updateOverwrite, updateIfEmpty, updateNever}
	emptyChoices    = []string{emptySkip, emptyWrite}
)

// defaultAccountColumns are the lookups to account that contacts and leads
// are associated through.
var defaultAccountColumns = map[string]string{"contact": "parentcustomerid", "lead": "parentaccountid"}

// validateMatch checks the match, merge and account blocks and the merge
// options of mapping entries, without the environment.
func (c *Config) validateMatch(fields []*fieldSpec) sdk.Diagnostics {
	var diags sdk.Diagnostics
	choice := func(path sdk.Path, name, v string, choices []string) {
		if !slices.Contains(choices, v) {
			diags = append(diags, sdk.Errorf(path, "%s %q is not one of %s", name, v, strings.Join(choices, ", "))...)
		}
	}
	if c.Match == nil {
		needs := func(path sdk.Path, what string) {
			diags = append(diags, sdk.Diagnostic{Severity: sdk.Error, Summary: what + " needs a match block",
				Detail: "The sink reads a row's record before writing only when it matches rows: add match { rule \"<name>\" { equals = { … } } }. With only a key, rows are upserted blindly.",
				Path:   path})
		}
		if c.Merge != nil {
			needs(sdk.Path{"merge"}, "A merge policy")
		}
		if c.Account != nil {
			needs(sdk.Path{"account"}, "Account association")
		}
		for _, f := range fields {
			switch {
			case f.Update != "":
				needs(f.Path.Child("update"), "The update policy of "+f.Column)
			case f.Empty != "":
				needs(f.Path.Child("empty"), "The empty policy of "+f.Column)
			case !f.Default.IsZero():
				needs(f.Default.Path, "The default of "+f.Column)
			case len(f.Candidates) > 1:
				needs(f.Candidates[0].Path, "The field hierarchy of "+f.Column)
			}
		}
		return diags
	}
	m := c.Match
	if c.Operation != opUpsert {
		diags = append(diags, sdk.Errorf(sdk.Path{"operation"}, "with a match block the sink decides per row whether to create or update (on_match, on_none); leave operation at \"upsert\"")...)
	}
	if len(c.Key) > 0 {
		diags = append(diags, sdk.Diagnostic{Severity: sdk.Error, Summary: "key and match both given",
			Detail: "A match block finds records by its rules; write the key as the first rule: rule \"key\" { equals = { … } }.",
			Path:   sdk.Path{"key"}})
	}
	tables := m.tables(c.Table)
	for i, t := range m.Tables {
		if strings.TrimSpace(t) == "" || strings.ToLower(t) != t || strings.ContainsAny(t, " /()'") {
			diags = append(diags, sdk.Errorf(sdk.Path{"match", "tables", fmt.Sprint(i)}, "%q is not a table's logical name, such as \"lead\"", t)...)
		}
		if slices.Index(m.Tables, t) != i {
			diags = append(diags, sdk.Errorf(sdk.Path{"match", "tables"}, "%s is listed twice", t)...)
		}
	}
	choice(sdk.Path{"match", "search"}, "search", m.Search, []string{searchRules, searchTables})
	choice(sdk.Path{"match", "on_multiple"}, "on_multiple", m.OnMultiple, multipleChoices)
	choice(sdk.Path{"match", "on_match"}, "on_match", m.OnMatch, []string{onMatchUpdate, onMatchSkip, onMatchCreate, onMatchReject})
	choice(sdk.Path{"match", "on_none"}, "on_none", m.OnNone, []string{onNoneCreate, onNoneSkip, onNoneReject})
	choice(sdk.Path{"match", "keep"}, "keep", m.Keep, []string{keepFirst, keepLast})
	if m.CreateAs != "" {
		switch {
		case m.OnNone != onNoneCreate && m.OnMatch != onMatchCreate:
			diags = append(diags, sdk.Errorf(sdk.Path{"match", "create_as"}, "create_as names where new records go, but neither on_none nor on_match creates any")...)
		case !slices.Contains(tables, m.CreateAs) && m.CreateAs != c.Table:
			diags = append(diags, sdk.Errorf(sdk.Path{"match", "create_as"}, "create_as = %q is neither the sink's table nor one of match.tables (%s)", m.CreateAs, strings.Join(tables, ", "))...)
		}
	}
	diags = append(diags, validateRules(sdk.Path{"match"}, m.Rules, tables)...)
	if m.Search == searchTables && len(tables) == 1 {
		diags = append(diags, sdk.Diagnostic{Severity: sdk.Warning, Summary: "search has no effect",
			Detail: "search orders rules and tables; with one table there is nothing to order.", Path: sdk.Path{"match", "search"}})
	}
	if c.Merge != nil {
		choice(sdk.Path{"merge", "update"}, "update", c.Merge.Update, updateChoices)
		choice(sdk.Path{"merge", "empty"}, "empty", c.Merge.Empty, emptyChoices)
	}
	for _, f := range fields {
		if f.Update != "" {
			choice(f.Path.Child("update"), "update", f.Update, updateChoices)
		}
		if f.Empty != "" {
			choice(f.Path.Child("empty"), "empty", f.Empty, emptyChoices)
		}
	}
	if a := c.Account; a != nil {
		diags = append(diags, validateRules(sdk.Path{"account"}, a.Rules, []string{"account"})...)
		choice(sdk.Path{"account", "on_none"}, "on_none", a.OnNone, []string{onNoneCreate, onNoneUnassociated, onNoneReject, onNoneDefault})
		choice(sdk.Path{"account", "on_multiple"}, "on_multiple", a.OnMultiple, multipleChoices)
		choice(sdk.Path{"account", "update"}, "update", a.Update, updateChoices)
		if a.OnNone == onNoneCreate && len(a.Create) == 0 {
			diags = append(diags, sdk.Diagnostic{Severity: sdk.Error, Summary: "Nothing to create accounts with",
				Detail: "on_none = \"create\" needs the new account's columns: create = { name = \"<expression>\", … }.",
				Path:   sdk.Path{"account", "on_none"}})
		}
		if a.OnNone != onNoneCreate && len(a.Create) > 0 {
			diags = append(diags, sdk.Diagnostic{Severity: sdk.Warning, Summary: "create has no effect",
				Detail: "Accounts are created only with on_none = \"create\".", Path: sdk.Path{"account", "create"}})
		}
		for col, e := range a.Create {
			if strings.TrimSpace(e.Text) == "" {
				diags = append(diags, sdk.Errorf(sdk.Path{"account", "create", col}, "the expression for %s is empty", col)...)
			}
		}
		switch {
		case a.OnNone == onNoneDefault && len(a.Default) == 0:
			diags = append(diags, sdk.Diagnostic{Severity: sdk.Error, Summary: "No default account",
				Detail: "on_none = \"default\" associates rows with the default account: name it by columns of account, default = { accountnumber = \"'HOUSE'\" }, or by its id, default = { accountid = \"'<GUID>'\" }.",
				Path:   sdk.Path{"account", "on_none"}})
		case a.OnNone != onNoneDefault && len(a.Default) > 0:
			diags = append(diags, sdk.Diagnostic{Severity: sdk.Error, Summary: "default without on_none = \"default\"",
				Detail: fmt.Sprintf("The default account is used only with on_none = \"default\", and on_none is %q: set on_none = \"default\", or remove default.", a.OnNone),
				Path:   sdk.Path{"account", "default"}})
		}
		for col, e := range a.Default {
			path := sdk.Path{"account", "default", col}
			if strings.TrimSpace(e.Text) == "" {
				diags = append(diags, sdk.Errorf(path, "the expression for %s is empty", col)...)
			}
			if nav, c, ok := strings.Cut(col, "/"); ok && (nav == "" || c == "" || strings.Contains(c, "/")) {
				diags = append(diags, sdk.Errorf(path, "%q: a related column is written <navigation property>/<column>, one level deep", col)...)
			}
		}
		searched := append(slices.Clone(tables), m.CreateAs)
		for t := range a.Column {
			if !slices.Contains(searched, t) {
				diags = append(diags, sdk.Errorf(sdk.Path{"account", "column", t}, "%s is not a table the sink writes (%s)", t, strings.Join(tables, ", "))...)
			}
		}
		associated := false
		for _, t := range searched {
			associated = associated || a.column(t) != ""
		}
		if !associated {
			diags = append(diags, sdk.Errorf(sdk.Path{"account"}, "none of the tables written (%s) has a default account lookup; name it: column = { %s = \"<lookup column>\" }", strings.Join(tables, ", "), tables[0])...)
		}
		for _, f := range fields {
			for _, t := range searched {
				if f.Column == a.column(t) && t == c.Table {
					diags = append(diags, sdk.Errorf(f.Path, "%s is set by the account block; remove it from mapping (for a default account, give the block on_none = \"default\" and default = { accountnumber = \"'…'\" })", f.Column)...)
				}
			}
		}
	}
	return diags
}

// validateRules checks rule blocks.
func validateRules(at sdk.Path, rules []RuleConfig, tables []string) sdk.Diagnostics {
	var diags sdk.Diagnostics
	if len(rules) == 0 {
		diags = append(diags, sdk.Errorf(at, "add at least one rule \"<name>\" { equals = { <column> = \"<expression>\" } }")...)
	}
	for _, r := range rules {
		path := at.Child("rule").Child(r.Name)
		if len(r.Equals) == 0 {
			diags = append(diags, sdk.Errorf(path.Child("equals"), "the rule compares nothing: equals = { <column> = \"<expression>\" }")...)
		}
		for col, e := range r.Equals {
			if strings.TrimSpace(e.Text) == "" {
				diags = append(diags, sdk.Errorf(path.Child("equals").Child(col), "the expression for %s is empty", col)...)
			}
			if nav, c, ok := strings.Cut(col, "/"); ok && (nav == "" || c == "" || strings.Contains(c, "/")) {
				diags = append(diags, sdk.Errorf(path.Child("equals").Child(col), "%q: a related column is written <navigation property>/<column>, one level deep", col)...)
			}
		}
		if !slices.Contains([]string{compareInsensitive, compareExact, compareDomain}, r.Compare) {
			diags = append(diags, sdk.Errorf(path.Child("compare"), "compare %q is not case_insensitive, exact or domain", r.Compare)...)
		}
		if r.Compare == compareDomain && len(r.Equals) != 1 {
			diags = append(diags, sdk.Errorf(path.Child("compare"), "compare = \"domain\" compares one column holding a web address; the rule has %d", len(r.Equals))...)
		}
		for i, t := range r.Tables {
			if !slices.Contains(tables, t) {
				diags = append(diags, sdk.Diagnostic{Severity: sdk.Error, Summary: "Table not searched",
					Detail: fmt.Sprintf("The rule searches %s, which is not among the tables searched (%s). Add it to tables.", t, strings.Join(tables, ", ")),
					Path:   path.Child("tables").Child(fmt.Sprint(i))})
			}
		}
	}
	return diags
}

// tables are the tables searched, in order.
func (m *MatchConfig) tables(sinkTable string) []string {
	if len(m.Tables) == 0 {
		return []string{sinkTable}
	}
	return m.Tables
}

// createTable is the table on_none creates records in.
func (m *MatchConfig) createTable(sinkTable string) string {
	if m.CreateAs != "" {
		return m.CreateAs
	}
	return sinkTable
}

// column is the account lookup of table t, or "".
func (a *AccountConfig) column(t string) string {
	if c, ok := a.Column[t]; ok {
		return c
	}
	return defaultAccountColumns[t]
}
