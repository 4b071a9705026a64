package emulator

import (
	"encoding/xml"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sluicedata/sluice/plugins/dynamics/internal/guid"
)

// pageCursor is what a $skiptoken carries: the page number and the sort values of the last record returned, so the
// next page starts right after it even if records were added or removed in between.
type pageCursor struct {
	page     int
	last     []any // one per order-by column, then the primary id
	tracking int64 // snapshot version of a change-tracking read (0 when not tracking)
	phase    int   // delta reads: 0 = changed records, 1 = deleted records
	upper    int64 // delta reads: highest version included
}

// encodeSkipToken builds a Dataverse-style paging cookie:
// <cookie pagenumber="2" pagingcookie="%3ccookie%20page%3d%221%22%3e...%3c%2fcookie%3e" istracking="False" />.
func encodeSkipToken(t *Table, order []orderItem, c pageCursor, first []any) string {
	var inner strings.Builder
	fmt.Fprintf(&inner, `<cookie page="%d">`, c.page-1)
	names := make([]string, 0, len(order)+1)
	for _, o := range order {
		names = append(names, o.name)
	}
	names = append(names, t.PrimaryID)
	for i, name := range names {
		inner.WriteString("<" + name)
		if c.last[i] != nil {
			inner.WriteString(` last="` + xmlAttr(cursorValueText(c.last[i])) + `"`)
		}
		if first != nil && first[i] != nil {
			inner.WriteString(` first="` + xmlAttr(cursorValueText(first[i])) + `"`)
		}
		inner.WriteString(" />")
	}
	inner.WriteString("</cookie>")
	tracking := "False"
	if c.tracking > 0 {
		tracking = "True"
	}
	cookie := fmt.Sprintf(`<cookie pagenumber="%d" pagingcookie="%s" istracking="%s"`, c.page, cookieEscape(inner.String()), tracking)
	if c.tracking > 0 {
		cookie += fmt.Sprintf(` trackingversion="%d"`, c.tracking)
	}
	if c.upper > 0 {
		cookie += fmt.Sprintf(` deltaphase="%d" deltaupper="%d"`, c.phase, c.upper)
	}
	return cookie + " />"
}

func cursorValueText(v any) string {
	switch x := v.(type) {
	case string:
		if g, ok := guid.Parse(x); ok {
			return "{" + strings.ToUpper(g) + "}"
		}
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case lookupRef:
		return "{" + strings.ToUpper(x.ID) + "}"
	}
	return fmt.Sprint(v)
}

func xmlAttr(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// cookieEscape percent-encodes like the service's paging cookie: lower-case hex, everything but letters, digits
// and -_. encoded.
func cookieEscape(s string) string {
	const hexDigits = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xf])
	}
	return b.String()
}

// linkEscape percent-encodes a query value for a next or delta link the way the service does (upper-case hex,
// '=' and '/' kept).
func linkEscape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~=/!'()*,;:@", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xf])
	}
	return b.String()
}

var cookieAttr = regexp.MustCompile(`(\w+)="([^"]*)"`)

// decodeSkipToken parses a $skiptoken made by encodeSkipToken for the same table and order.
func decodeSkipToken(t *Table, order []orderItem, token string) (pageCursor, *apiError) {
	bad := errBadRequest(codeInvalidQuery, "The $skiptoken is not valid for this query.")
	attrs := map[string]string{}
	for _, m := range cookieAttr.FindAllStringSubmatch(token, -1) {
		attrs[m[1]] = m[2]
	}
	var c pageCursor
	var err error
	if c.page, err = strconv.Atoi(attrs["pagenumber"]); err != nil || c.page < 2 {
		return c, bad
	}
	if v := attrs["trackingversion"]; v != "" {
		c.tracking, _ = strconv.ParseInt(v, 10, 64)
	}
	if v := attrs["deltaupper"]; v != "" {
		c.upper, _ = strconv.ParseInt(v, 10, 64)
		c.phase, _ = strconv.Atoi(attrs["deltaphase"])
	}
	inner, uerr := cookieUnescape(attrs["pagingcookie"])
	if uerr != nil {
		return c, bad
	}
	var doc struct {
		Items []struct {
			XMLName xml.Name
			Attrs   []xml.Attr `xml:",any,attr"`
		} `xml:",any"`
	}
	if err := xml.Unmarshal([]byte(inner), &doc); err != nil || len(doc.Items) != len(order)+1 {
		return c, bad
	}
	cols := make([]*Column, 0, len(order)+1)
	for _, o := range order {
		cols = append(cols, o.col)
	}
	cols = append(cols, t.primaryID())
	for i, item := range doc.Items {
		var last *string
		for _, a := range item.Attrs {
			if a.Name.Local == "last" {
				v := a.Value
				last = &v
			}
		}
		if last == nil {
			c.last = append(c.last, nil)
			continue
		}
		v, ok := parseCursorValue(cols[i], *last)
		if !ok {
			return c, bad
		}
		c.last = append(c.last, v)
	}
	return c, nil
}

func cookieUnescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("bad escape")
		}
		n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", err
		}
		b.WriteByte(byte(n))
		i += 2
	}
	return b.String(), nil
}

func parseCursorValue(c *Column, s string) (any, bool) {
	switch c.Type {
	case TypeUniqueID:
		g, ok := guid.Parse(s)
		return g, ok
	case TypeLookup, TypeCustomer, TypeOwner:
		g, ok := guid.Parse(s)
		return lookupRef{ID: g}, ok
	case TypeInteger, TypeBigInt, TypePicklist, TypeState, TypeStatus:
		i, err := strconv.ParseInt(s, 10, 64)
		return i, err == nil
	case TypeDecimal, TypeDouble, TypeMoney:
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil
	case TypeBoolean:
		b, err := strconv.ParseBool(s)
		return b, err == nil
	case TypeDateTime:
		tm, err := time.Parse(time.RFC3339Nano, s)
		return tm, err == nil
	}
	return s, true
}
