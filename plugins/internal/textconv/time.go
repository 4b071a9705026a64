package textconv

import "time"

// ParseTimestamp parses an RFC 3339 timestamp — 2024-05-01T12:30:00Z,
// 2024-05-01 12:30:00.25+02:00 — into microseconds since the Unix epoch, UTC.
// A date alone (2024-05-01) is midnight UTC. A timestamp without a zone is not
// accepted: guessing one would shift data silently.
func ParseTimestamp(b []byte) (int64, bool) {
	if len(b) == 10 {
		d, ok := ParseDate(b)
		return int64(d) * 86400 * 1e6, ok
	}
	if len(b) < 20 {
		return 0, false
	}
	days, ok := ParseDate(b[:10])
	if !ok {
		return 0, false
	}
	if c := b[10]; c != 'T' && c != 't' && c != ' ' {
		return 0, false
	}
	hh, ok1 := two(b[11:13])
	mm, ok2 := two(b[14:16])
	ss, ok3 := two(b[17:19])
	if !ok1 || !ok2 || !ok3 || b[13] != ':' || b[16] != ':' || hh > 23 || mm > 59 || ss > 59 {
		return 0, false
	}
	rest := b[19:]
	var micros int64
	if rest[0] == '.' {
		i := 1
		scale := int64(100000)
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			micros += int64(rest[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == 1 || i > 10 { // at most nanoseconds
			return 0, false
		}
		rest = rest[i:]
	}
	var offset int64
	switch {
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := two(rest[1:3])
		om, ok2 := two(rest[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, false
		}
		offset = int64(oh)*3600 + int64(om)*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return 0, false
	}
	secs := int64(days)*86400 + int64(hh)*3600 + int64(mm)*60 + int64(ss) - offset
	return secs*1e6 + micros, true
}

// ParseDate parses YYYY-MM-DD into days since the Unix epoch.
func ParseDate(b []byte) (int32, bool) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return 0, false
	}
	y1, ok1 := two(b[0:2])
	y2, ok2 := two(b[2:4])
	m, ok3 := two(b[5:7])
	d, ok4 := two(b[8:10])
	if !ok1 || !ok2 || !ok3 || !ok4 || m < 1 || m > 12 || d < 1 {
		return 0, false
	}
	y := y1*100 + y2
	if d > daysIn(y, m) {
		return 0, false
	}
	return int32(daysFromCivil(y, m, d)), true
}

func two(b []byte) (int, bool) {
	a, c := b[0]-'0', b[1]-'0'
	if a > 9 || c > 9 {
		return 0, false
	}
	return int(a)*10 + int(c), true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is days since 1970-01-01 of a proleptic Gregorian date
// (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if m > 12 {
		m -= 12
	}
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return y, m, d
}

// AppendDate appends days since the epoch as YYYY-MM-DD.
func AppendDate(b []byte, days int64) []byte {
	y, m, d := civilFromDays(days)
	if y < 0 || y > 9999 {
		return time.Unix(days*86400, 0).UTC().AppendFormat(b, "2006-01-02")
	}
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	return append2(b, d)
}

// AppendTimestamp appends a time, given as a count of unit since the epoch,
// in RFC 3339 in UTC, with as many fractional digits as it needs (none for a
// whole second), like time.RFC3339Nano.
func AppendTimestamp(b []byte, v int64, unitsPerSecond int64) []byte {
	secs, sub := v/unitsPerSecond, v%unitsPerSecond
	if sub < 0 {
		secs--
		sub += unitsPerSecond
	}
	days, sod := secs/86400, secs%86400
	if sod < 0 {
		days--
		sod += 86400
	}
	y, m, d := civilFromDays(days)
	if y < 0 || y > 9999 {
		nanos := sub * (1e9 / unitsPerSecond)
		return time.Unix(secs, nanos).UTC().AppendFormat(b, time.RFC3339Nano)
	}
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, int(sod/3600))
	b = append(b, ':')
	b = append2(b, int(sod/60%60))
	b = append(b, ':')
	b = append2(b, int(sod%60))
	if sub != 0 {
		// Write the fraction with the unit's digits, then trim zeros.
		digits := 0
		for u := unitsPerSecond; u > 1; u /= 10 {
			digits++
		}
		b = append(b, '.')
		start := len(b)
		for range digits {
			b = append(b, '0')
		}
		for i := len(b) - 1; i >= start; i-- {
			b[i] = byte('0' + sub%10)
			sub /= 10
		}
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
	}
	return append(b, 'Z')
}

func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

func append4(b []byte, v int) []byte {
	return append(b, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}
