package dynamics

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sluicedata/sluice/sdk"
)

// Config is the sink's configuration: the block of a `sink "dynamics"` in a
// pipeline file. The engine itself reads `input`, `rejects`, `batch` (rows
// per request) and `max_in_flight`.
type Config struct {
	URL        string              `sluice:"url,required" doc:"Environment URL, such as https://contoso.crm.dynamics.com. The Web API path may be included (https://contoso.crm.dynamics.com/api/data/v9.2/); its version is then used." example:"var.dataverse_url"`
	APIVersion string              `sluice:"api_version" doc:"Web API version, such as \"9.2\". Default: the version in url, or 9.2."`
	Auth       AuthConfig          `sluice:"auth,block,required" doc:"How the sink gets its tokens: an app registration with a client secret or a certificate, and its application user in the environment."`
	Table      string              `sluice:"table,required" doc:"Logical name of the table to write, such as contact, account or new_membership." example:"\"contact\""`
	Operation  string              `sluice:"operation" default:"upsert" doc:"upsert (create or update by key), create, update (existing records only) or delete (by key)."`
	Key        map[string]sdk.Expr `sluice:"key" doc:"How each row finds its record: the columns of an alternate key of the table, or its primary id column, each with an expression. Required for upsert, update and delete." example:"{ emailaddress1 = \"lower(trim(email))\" }"`
	OnMissing  string              `sluice:"on_missing" default:"skip" doc:"For update and delete: what happens to a row whose record does not exist: skip (counted as filtered) or reject (sent to the rejects stream)."`
	Mapping    map[string]any      `sluice:"mapping,block" doc:"The columns to write, as <column> = \"<expression>\", or <column> = { lookup = \"<table>\", by = { <key column> = \"<expression>\" } } (or id = \"<expression>\") for lookups. Option-set labels are translated to their values."`

	BypassCustomPlugins bool `sluice:"bypass_custom_plugins" doc:"Skip custom plug-ins and workflows registered on the table (sends MSCRM.BypassCustomPluginExecution; the application user needs the prvBypassCustomPlugins privilege)."`
	DuplicateDetection  bool `sluice:"duplicate_detection" doc:"Apply the environment's duplicate detection rules: a row that matches an existing record is rejected (sends MSCRM.SuppressDuplicateDetection: false). Off by default, as in the Web API."`
	MaxRecords          int  `sluice:"max_records" doc:"Send at most this many rows per run; the rest are skipped with a warning. 0: no limit."`
	CountCreated        bool `sluice:"count_created" doc:"For upserts: read which keys already exist before each request (one query per batch), so that the run summary splits written rows into created and updated. Off by default: it costs a read per batch."`

	WritePath      string        `sluice:"write_path" default:"auto" doc:"auto: the bulk messages (UpsertMultiple, CreateMultiple, UpdateMultiple) when the table supports them, $batch otherwise; bulk or batch force one."`
	MaxConcurrency int           `sluice:"max_concurrency" doc:"Most requests in flight at once. Default: the service's x-ms-dop-hint. The sink lowers it while the service throttles. At most 52."`
	RequestTimeout time.Duration `sluice:"request_timeout" default:"5m" doc:"How long one request may take."`
	MaxAttempts    int           `sluice:"max_attempts" default:"8" doc:"How many times a request that failed transiently (5xx, a dropped connection, a timeout) is sent before its rows are rejected with the last error. Throttled requests (429) are waited out and do not count."`
	RetryTimeout   time.Duration `sluice:"retry_timeout" default:"15m" doc:"How long the sink keeps retrying one request, throttling included, before its rows are rejected with the last error."`

	// Matching and merging, in matchconfig.go.
	Match   *MatchConfig   `sluice:"match,block" doc:"Find each row's record by ordered rules instead of a key, and decide per row what to do: see docs/matching.md."`
	Merge   *MergeConfig   `sluice:"merge,block" doc:"Default merge policies of the mapped fields (with match): update = overwrite, if_empty or never; empty = skip or write."`
	Account *AccountConfig `sluice:"account,block" doc:"Associate contacts and leads with their parent account, found by rules, created when missing if asked (with match)."`
}

// AuthConfig is the `auth` block.
type AuthConfig struct {
	TenantID            string `sluice:"tenant_id,required" doc:"Directory (tenant) id of the app registration." example:"var.tenant_id"`
	ClientID            string `sluice:"client_id,required" doc:"Application (client) id of the app registration." example:"var.client_id"`
	ClientSecret        string `sluice:"client_secret,sensitive" doc:"A client secret of the app registration (its Value, not its Secret ID)." example:"var.client_secret"`
	Certificate         string `sluice:"certificate,sensitive" doc:"PEM text holding the certificate registered on the app and its unencrypted RSA private key, instead of a secret." example:"file(\"app.pem\")"`
	CertificateFile     string `sluice:"certificate_file" doc:"Path of a PEM or PFX (PKCS#12) file holding the certificate and its RSA private key, instead of a secret."`
	CertificatePassword string `sluice:"certificate_password,sensitive" doc:"Password of the PFX file."`
	Authority           string `sluice:"authority" doc:"Token authority. Default https://login.microsoftonline.com/<tenant_id>. Set it for sovereign clouds (https://login.microsoftonline.us/<tenant_id>) or the emulator."`
	CAFile              string `sluice:"ca_file" doc:"PEM file of certificate authorities to trust, besides the system's, for the authority and the environment (a TLS-inspecting proxy, the emulator)."`
}

// Operations.
const (
	opUpsert = "upsert"
	opCreate = "create"
	opUpdate = "update"
	opDelete = "delete"
)

// Write paths.
const (
	pathAuto  = "auto"
	pathBulk  = "bulk"
	pathBatch = "batch"
)

// maxConcurrencyLimit is Dataverse's documented default limit on concurrent
// requests per user and web server.
const maxConcurrencyLimit = 52

var apiVersionPattern = regexp.MustCompile(`^v?(\d+\.\d+)$`)

// endpoint is where the environment is, derived from url and api_version.
type endpoint struct {
	// base is scheme://host[:port], the environment; api is base +
	// /api/data/v<version>; scope is base + /.default.
	base, api, scope, version string
}

// parseEndpoint reads url and api_version.
func parseEndpoint(raw, version string) (endpoint, sdk.Diagnostics) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return endpoint{}, sdk.Diagnostics{{Severity: sdk.Error, Summary: "Invalid environment URL",
			Detail: fmt.Sprintf("%q is not an environment URL. Write it as in the Power Platform admin center, such as https://contoso.crm.dynamics.com.", raw),
			Path:   sdk.Path{"url"}}}
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return endpoint{}, sdk.Errorf(sdk.Path{"url"}, "the environment URL must use https (plain http is only accepted for a local emulator)")
	}
	urlVersion := ""
	path := strings.Trim(u.Path, "/")
	if path != "" {
		rest, ok := strings.CutPrefix(path, "api/data")
		rest = strings.Trim(rest, "/")
		m := apiVersionPattern.FindStringSubmatch(rest)
		if !ok || (rest != "" && m == nil) {
			return endpoint{}, sdk.Errorf(sdk.Path{"url"}, "the environment URL has an unexpected path %q: give the environment (https://contoso.crm.dynamics.com) or its Web API (…/api/data/v9.2/)", u.Path)
		}
		if m != nil {
			urlVersion = m[1]
		}
	}
	if version != "" {
		m := apiVersionPattern.FindStringSubmatch(version)
		if m == nil {
			return endpoint{}, sdk.Errorf(sdk.Path{"api_version"}, "api_version %q is not a version such as \"9.2\"", version)
		}
		if urlVersion != "" && urlVersion != m[1] {
			return endpoint{}, sdk.Errorf(sdk.Path{"api_version"}, "api_version %q contradicts the version in url (v%s); give one of them", version, urlVersion)
		}
		urlVersion = m[1]
	}
	if urlVersion == "" {
		urlVersion = "9.2"
	}
	base := u.Scheme + "://" + strings.ToLower(u.Host)
	return endpoint{base: base, api: base + "/api/data/v" + urlVersion, scope: base + "/.default", version: urlVersion}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validate checks what can be checked without the input schema or the
// environment, and returns the parsed mapping.
func (c *Config) validate() (endpoint, []*fieldSpec, sdk.Diagnostics) {
	var diags sdk.Diagnostics
	ep, ds := parseEndpoint(c.URL, c.APIVersion)
	diags = append(diags, ds...)
	diags = append(diags, c.Auth.validate()...)
	if strings.TrimSpace(c.Table) == "" || strings.ToLower(c.Table) != c.Table || strings.ContainsAny(c.Table, " /()'") {
		diags = append(diags, sdk.Diagnostic{Severity: sdk.Error, Summary: "Invalid table name",
			Detail: fmt.Sprintf("table = %q: give the table's logical name, in lower case, such as \"contact\" (not the display name or the entity set name).", c.Table),
			Path:   sdk.Path{"table"}})
	}
	ops := []string{opUpsert, opCreate, opUpdate, opDelete}
	if !slices.Contains(ops, c.Operation) {
		diags = append(diags, sdk.Errorf(sdk.Path{"operation"}, "operation %q is not one of %s", c.Operation, strings.Join(ops, ", "))...)
	}
	switch c.Operation {
	case opUpsert, opUpdate, opDelete:
		if len(c.Key) == 0 && c.Match == nil {
			diags = append(diags, sdk.Diagnostic{Severity: sdk.Error, Summary: fmt.Sprintf("%s needs a key", c.Operation),
				Detail: "Say how each row finds its record: key = { <alternate key column> = \"<expression>\" }, or the table's primary id column with an expression giving the GUID.",
				Path:   sdk.Path{"operation"}})
		}
	case opCreate:
		if len(c.Key) > 0 {
			diags = append(diags, sdk.Errorf(sdk.Path{"key"}, "create makes new records and uses no key; remove key, or use operation = \"upsert\" to create or update by it")...)
		}
	}
	for col, e := range c.Key {
		if strings.TrimSpace(e.Text) == "" {
			diags = append(diags, sdk.Errorf(sdk.Path{"key", col}, "the key column %s has an empty expression", col)...)
		}
	}
	if c.OnMissing != "skip" && c.OnMissing != "reject" {
		diags = append(diags, sdk.Errorf(sdk.Path{"on_missing"}, "on_missing %q is not skip or reject", c.OnMissing)...)
	}
	if c.OnMissing != "skip" && (c.Operation == opUpsert || c.Operation == opCreate) {
		diags = append(diags, sdk.Diagnostic{Severity: sdk.Warning, Summary: "on_missing has no effect",
			Detail: fmt.Sprintf("on_missing applies to update and delete; a %s never misses a record.", c.Operation), Path: sdk.Path{"on_missing"}})
	}
	fields, ds := parseMapping(c.Mapping)
	diags = append(diags, ds...)
	diags = append(diags, c.validateMatch(fields)...)
	switch {
	case c.Operation == opDelete && len(fields) > 0:
		diags = append(diags, sdk.Errorf(sdk.Path{"mapping"}, "delete writes no columns; remove the mapping block")...)
	case c.Operation != opDelete && len(fields) == 0 && !ds.HasErrors():
		diags = append(diags, sdk.Diagnostic{Severity: sdk.Error, Summary: "Nothing to write",
			Detail: "Add a mapping block: mapping { <column> = \"<expression>\" … }.", Path: sdk.Path{"mapping"}})
	}
	for _, f := range fields {
		if _, inKey := c.Key[f.Column]; inKey {
			diags = append(diags, sdk.Diagnostic{Severity: sdk.Error, Summary: "Column both in key and mapping",
				Detail: fmt.Sprintf("%s is part of the key, which sets it on new records; records found by it keep their key value. Remove it from mapping.", f.Column),
				Path:   f.Path})
		}
	}
	if c.CountCreated && c.Operation != opUpsert {
		diags = append(diags, sdk.Diagnostic{Severity: sdk.Warning, Summary: "count_created has no effect",
			Detail: fmt.Sprintf("A %s's rows are counted anyway; count_created splits upserts into created and updated.", c.Operation), Path: sdk.Path{"count_created"}})
	}
	if p := c.WritePath; p != pathAuto && p != pathBulk && p != pathBatch {
		diags = append(diags, sdk.Errorf(sdk.Path{"write_path"}, "write_path %q is not auto, bulk or batch", p)...)
	}
	if c.WritePath == pathBulk && c.Operation == opDelete {
		diags = append(diags, sdk.Errorf(sdk.Path{"write_path"}, "deletes go through $batch: DeleteMultiple exists for elastic tables only; use write_path = \"auto\"")...)
	}
	if c.MaxConcurrency < 0 || c.MaxConcurrency > maxConcurrencyLimit {
		diags = append(diags, sdk.Errorf(sdk.Path{"max_concurrency"}, "max_concurrency must be between 1 and %d (0: follow the service's x-ms-dop-hint)", maxConcurrencyLimit)...)
	}
	if c.MaxRecords < 0 {
		diags = append(diags, sdk.Errorf(sdk.Path{"max_records"}, "max_records must not be negative")...)
	}
	if c.RequestTimeout <= 0 {
		diags = append(diags, sdk.Errorf(sdk.Path{"request_timeout"}, "request_timeout must be positive")...)
	}
	if c.MaxAttempts < 1 {
		diags = append(diags, sdk.Errorf(sdk.Path{"max_attempts"}, "max_attempts must be at least 1")...)
	}
	if c.RetryTimeout <= 0 {
		diags = append(diags, sdk.Errorf(sdk.Path{"retry_timeout"}, "retry_timeout must be positive")...)
	}
	return ep, fields, diags
}

func (a *AuthConfig) validate() sdk.Diagnostics {
	var diags sdk.Diagnostics
	if strings.TrimSpace(a.TenantID) == "" {
		diags = append(diags, sdk.Errorf(sdk.Path{"auth", "tenant_id"}, "tenant_id is empty")...)
	}
	if strings.TrimSpace(a.ClientID) == "" {
		diags = append(diags, sdk.Errorf(sdk.Path{"auth", "client_id"}, "client_id is empty")...)
	}
	var kinds []string
	if a.ClientSecret != "" {
		kinds = append(kinds, "client_secret")
	}
	if a.Certificate != "" {
		kinds = append(kinds, "certificate")
	}
	if a.CertificateFile != "" {
		kinds = append(kinds, "certificate_file")
	}
	switch len(kinds) {
	case 0:
		diags = append(diags, sdk.Diagnostic{Severity: sdk.Error, Summary: "No credential",
			Detail: "Give the app registration's client_secret, or its certificate (PEM text) or certificate_file (PEM or PFX).",
			Path:   sdk.Path{"auth"}})
	case 1:
	default:
		diags = append(diags, sdk.Errorf(sdk.Path{"auth", kinds[1]}, "give one credential, not %s", strings.Join(kinds, " and "))...)
	}
	if a.CertificatePassword != "" && a.CertificateFile == "" {
		diags = append(diags, sdk.Errorf(sdk.Path{"auth", "certificate_password"}, "certificate_password is the password of a PFX certificate_file; there is none")...)
	}
	if a.Authority != "" {
		u, err := url.Parse(a.Authority)
		if err != nil || u.Scheme != "https" || u.Host == "" || strings.Trim(u.Path, "/") == "" {
			diags = append(diags, sdk.Errorf(sdk.Path{"auth", "authority"}, "authority must be an https URL with the tenant, such as https://login.microsoftonline.com/<tenant_id>")...)
		}
	}
	return diags
}

// authority is the token authority URL.
func (a *AuthConfig) authority() string {
	if a.Authority != "" {
		return strings.TrimRight(a.Authority, "/")
	}
	return "https://login.microsoftonline.com/" + strings.TrimSpace(a.TenantID)
}

// fieldSpec is one entry of the mapping block.
type fieldSpec struct {
	Column string
	Path   sdk.Path
	// Value is the expression of a plain column.
	Value sdk.Expr
	// Lookup is the target table of a lookup written by key or id.
	Lookup string
	By     map[string]sdk.Expr
	ID     sdk.Expr
	// Merge options (with match; see mergespec.go): Candidates are the
	// expressions of a field hierarchy, Value first; Update and Empty the
	// field's policies ("" for the merge block's); Default the value of an
	// empty field on a record whose field is empty too.
	Candidates    []sdk.Expr
	Update, Empty string
	Default       sdk.Expr
}

func (f *fieldSpec) isLookup() bool { return f.Lookup != "" }

// mappingKeys are the attributes a mapping entry written as an object may
// have.
var mappingKeys = []string{"value", "lookup", "by", "id", "update", "empty", "default"}

// parseMapping reads the free-form mapping block, in column order.
func parseMapping(m map[string]any) ([]*fieldSpec, sdk.Diagnostics) {
	var diags sdk.Diagnostics
	cols := make([]string, 0, len(m))
	for col := range m {
		cols = append(cols, col)
	}
	sort.Strings(cols)
	var out []*fieldSpec
	for _, col := range cols {
		path := sdk.Path{"mapping", col}
		f := &fieldSpec{Column: col, Path: path}
		switch v := m[col].(type) {
		case string:
			f.Value = sdk.Expr{Text: v, Path: path}
		case []any:
			var ds sdk.Diagnostics
			f, ds = parseHierarchy(col, path, v)
			diags = append(diags, ds...)
		case map[string]any:
			var ds sdk.Diagnostics
			f, ds = parseMappingObject(col, path, v)
			diags = append(diags, ds...)
		default:
			diags = append(diags, sdk.Diagnostic{Severity: sdk.Error, Summary: "Invalid mapping entry",
				Detail: fmt.Sprintf("%s = %v: write an expression in quotes, such as %s = \"first_name\", or a lookup { lookup = \"account\", by = { accountnumber = \"company_id\" } }.", col, v, col),
				Path:   path})
			continue
		}
		if f == nil {
			continue
		}
		if !f.isLookup() && strings.TrimSpace(f.Value.Text) == "" {
			diags = append(diags, sdk.Errorf(path, "%s has an empty expression", col)...)
			continue
		}
		out = append(out, f)
	}
	return out, diags
}

func parseMappingObject(col string, path sdk.Path, obj map[string]any) (*fieldSpec, sdk.Diagnostics) {
	var diags sdk.Diagnostics
	f := &fieldSpec{Column: col, Path: path}
	for k := range obj {
		if !slices.Contains(mappingKeys, k) {
			diags = append(diags, sdk.Errorf(path.Child(k), "%s is not an attribute of a mapping entry; use value, or lookup with by or id", k)...)
		}
	}
	str := func(k string) (string, bool) {
		v, ok := obj[k]
		if !ok {
			return "", false
		}
		s, isStr := v.(string)
		if !isStr {
			diags = append(diags, sdk.Errorf(path.Child(k), "%s must be a string", k)...)
			return "", false
		}
		return s, true
	}
	if list, isList := obj["value"].([]any); isList {
		h, ds := parseHierarchy(col, path.Child("value"), list)
		diags = append(diags, ds...)
		if h != nil {
			f.Value, f.Candidates = h.Value, h.Candidates
		}
	} else if v, ok := str("value"); ok {
		f.Value = sdk.Expr{Text: v, Path: path.Child("value")}
	}
	diags = append(diags, parseMergeOptions(f, path, obj)...)
	lookup, hasLookup := str("lookup")
	if id, ok := str("id"); ok {
		f.ID = sdk.Expr{Text: id, Path: path.Child("id")}
	}
	if by, ok := obj["by"]; ok {
		bm, isMap := by.(map[string]any)
		if !isMap || len(bm) == 0 {
			diags = append(diags, sdk.Errorf(path.Child("by"), "by must be an object of key columns of the target table and expressions, such as by = { accountnumber = \"company_id\" }")...)
		} else {
			f.By = map[string]sdk.Expr{}
			for kc, kv := range bm {
				s, isStr := kv.(string)
				if !isStr || strings.TrimSpace(s) == "" {
					diags = append(diags, sdk.Errorf(path.Child("by").Child(kc), "the expression for %s must be a non-empty string", kc)...)
					continue
				}
				f.By[kc] = sdk.Expr{Text: s, Path: path.Child("by").Child(kc)}
			}
		}
	}
	switch {
	case hasLookup:
		if strings.TrimSpace(lookup) == "" {
			diags = append(diags, sdk.Errorf(path.Child("lookup"), "lookup names the target table, such as lookup = \"account\"")...)
		}
		f.Lookup = strings.TrimSpace(lookup)
		if f.Value.Text != "" {
			diags = append(diags, sdk.Errorf(path.Child("value"), "a lookup takes by or id, not value")...)
		}
		if (len(f.By) == 0) == f.ID.IsZero() && !diags.HasErrors() {
			diags = append(diags, sdk.Errorf(path, "a lookup needs exactly one of by = { <key column> = \"<expression>\" } or id = \"<expression giving the GUID>\"")...)
		}
	case len(f.By) > 0 || !f.ID.IsZero():
		diags = append(diags, sdk.Errorf(path, "by and id belong to a lookup: add lookup = \"<target table>\"")...)
	case f.Value.Text == "" && !diags.HasErrors():
		diags = append(diags, sdk.Errorf(path, "the entry has no value: write %s = \"<expression>\" or { value = \"<expression>\" }", col)...)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return f, diags
}
