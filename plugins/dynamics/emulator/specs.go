package emulator

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The flag syntax of --limits, --cost and --faults, shared by the command and the /_emulator/ endpoints.

// ParseLimits parses "requests=200,window=10s,time=40s,concurrent=16,dop=8"; omitted keys keep the real service's
// defaults; "off" disables service protection; "" means the defaults.
func ParseLimits(spec string) (Limits, error) {
	var l Limits
	spec = strings.TrimSpace(spec)
	switch spec {
	case "", "default":
		return l, nil
	case "off", "none":
		return Limits{Disabled: true}, nil
	}
	for _, kv := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return l, fmt.Errorf("limits: %q is not key=value", kv)
		}
		var err error
		var positive bool // zero would silently mean the real service's default; below zero means nothing
		switch k {
		case "requests":
			l.Requests, err = strconv.Atoi(v)
			positive = l.Requests > 0
		case "window":
			l.Window, err = time.ParseDuration(v)
			positive = l.Window > 0
		case "time", "execution-time":
			l.ExecutionTime, err = time.ParseDuration(v)
			positive = l.ExecutionTime > 0
		case "concurrent":
			l.Concurrent, err = strconv.Atoi(v)
			positive = l.Concurrent > 0
		case "dop":
			l.DOPHint, err = strconv.Atoi(v)
			positive = l.DOPHint > 0
		default:
			return l, fmt.Errorf("limits: unknown key %q (want requests, window, time, concurrent, dop)", k)
		}
		if err != nil {
			return l, fmt.Errorf("limits: %s: %w", k, err)
		}
		if !positive {
			return l, fmt.Errorf("limits: %s must be positive, got %q (\"off\" turns the limits off)", k, v)
		}
	}
	return l, nil
}

// String formats limits in ParseLimits syntax.
func (l Limits) String() string {
	if l.Disabled {
		return "off"
	}
	l = l.withDefaults()
	return fmt.Sprintf("requests=%d,window=%s,time=%s,concurrent=%d,dop=%d", l.Requests, l.Window, l.ExecutionTime, l.Concurrent, l.DOPHint)
}

// ParseCost parses "request=20ms,record=1ms".
func ParseCost(spec string) (Cost, error) {
	var c Cost
	spec = strings.TrimSpace(spec)
	if spec == "" || spec == "none" || spec == "0" {
		return c, nil
	}
	for _, kv := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return c, fmt.Errorf("cost: %q is not key=value", kv)
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return c, fmt.Errorf("cost: %s: %w", k, err)
		}
		if d < 0 {
			return c, fmt.Errorf("cost: %s must not be negative, got %q", k, v)
		}
		switch k {
		case "request":
			c.PerRequest = d
		case "record":
			c.PerRecord = d
		default:
			return c, fmt.Errorf("cost: unknown key %q (want request, record)", k)
		}
	}
	return c, nil
}

// String formats a cost in ParseCost syntax.
func (c Cost) String() string { return fmt.Sprintf("request=%s,record=%s", c.PerRequest, c.PerRecord) }

// ParseFaults parses fault rules separated by ";", each "KIND[:key=value,...]". KIND is throttle (or 429), error
// (or an HTTP status such as 500 or 503), reset, slow or record. Keys: rate (0.05 or 5%), every, after, count,
// method, path, phase (before|after), status, code, message, retry-after, delay, table, column, value.
// Example: "throttle:rate=5%,retry-after=2s;503:rate=2%;reset:rate=1%,phase=after;record:table=contact,column=emailaddress1,value=bad@example.com".
func ParseFaults(spec string) ([]Fault, error) {
	var out []Fault
	for _, rule := range strings.Split(spec, ";") {
		rule = strings.TrimSpace(rule)
		if rule == "" {
			continue
		}
		kind, opts, _ := strings.Cut(rule, ":")
		var f Fault
		switch kind = strings.TrimSpace(kind); kind {
		case "throttle", "429":
			f.Kind = FaultThrottle
		case "error":
			f.Kind = FaultError
		case "reset", "drop":
			f.Kind = FaultReset
		case "slow":
			f.Kind = FaultSlow
		case "record":
			f.Kind = FaultRecord
		default:
			status, err := strconv.Atoi(kind)
			if err != nil || status < 400 || status > 599 {
				return nil, fmt.Errorf("faults: unknown kind %q (want throttle, error, reset, slow, record or an HTTP status)", kind)
			}
			f.Kind, f.Status = FaultError, status
		}
		if strings.TrimSpace(opts) != "" {
			for _, kv := range strings.Split(opts, ",") {
				k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
				if !ok {
					return nil, fmt.Errorf("faults: %q is not key=value", kv)
				}
				if err := setFaultOption(&f, k, v); err != nil {
					return nil, fmt.Errorf("faults: %s: %w", kind, err)
				}
			}
		}
		if f.Kind == FaultRecord && (f.Column == "" || f.Value == "") {
			return nil, fmt.Errorf("faults: a record fault needs column and value")
		}
		out = append(out, f)
	}
	return out, nil
}

func setFaultOption(f *Fault, k, v string) error {
	var err error
	switch k {
	case "rate":
		if p, ok := strings.CutSuffix(v, "%"); ok {
			var pct float64
			pct, err = strconv.ParseFloat(p, 64)
			f.Rate = pct / 100
		} else {
			f.Rate, err = strconv.ParseFloat(v, 64)
		}
		if err == nil && (f.Rate < 0 || f.Rate > 1) {
			err = fmt.Errorf("rate must be between 0 and 1 (or 0%% and 100%%)")
		}
	case "every":
		f.Every, err = strconv.Atoi(v)
	case "after":
		f.After, err = strconv.Atoi(v)
	case "count":
		f.Count, err = strconv.Atoi(v)
	case "method":
		f.Method = strings.ToUpper(v)
	case "path":
		f.Path = v
	case "phase":
		switch v {
		case "before":
		case "after":
			f.AfterProcessing = true
		default:
			err = fmt.Errorf("phase must be before or after")
		}
	case "status":
		f.Status, err = strconv.Atoi(v)
	case "code":
		f.Code = v
	case "message":
		f.Message = v
	case "retry-after":
		f.RetryAfter, err = parseSeconds(v)
	case "delay":
		f.Delay, err = time.ParseDuration(v)
	case "table":
		f.Table = v
	case "column":
		f.Column = v
	case "value":
		f.Value = v
	default:
		err = fmt.Errorf("unknown key %q", k)
	}
	return err
}

func parseSeconds(v string) (time.Duration, error) {
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(v)
}

// FormatFaults formats rules in ParseFaults syntax.
func FormatFaults(faults []Fault) string {
	var rules []string
	for _, f := range faults {
		var opts []string
		add := func(k, v string) { opts = append(opts, k+"="+v) }
		if f.Rate > 0 {
			add("rate", strconv.FormatFloat(f.Rate*100, 'g', -1, 64)+"%")
		}
		if f.Every > 0 {
			add("every", strconv.Itoa(f.Every))
		}
		if f.After > 0 {
			add("after", strconv.Itoa(f.After))
		}
		if f.Count > 0 {
			add("count", strconv.Itoa(f.Count))
		}
		if f.Method != "" {
			add("method", f.Method)
		}
		if f.Path != "" {
			add("path", f.Path)
		}
		if f.AfterProcessing {
			add("phase", "after")
		}
		if f.Status != 0 {
			add("status", strconv.Itoa(f.Status))
		}
		if f.Code != "" {
			add("code", f.Code)
		}
		if f.RetryAfter > 0 {
			add("retry-after", f.RetryAfter.String())
		}
		if f.Delay > 0 {
			add("delay", f.Delay.String())
		}
		if f.Table != "" {
			add("table", f.Table)
		}
		if f.Column != "" {
			add("column", f.Column)
		}
		if f.Value != "" {
			add("value", f.Value)
		}
		r := string(f.Kind)
		if len(opts) > 0 {
			r += ":" + strings.Join(opts, ",")
		}
		rules = append(rules, r)
	}
	return strings.Join(rules, ";")
}
