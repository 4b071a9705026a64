package csv

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// status says how parsing one record went.
type status uint8

const (
	recordOK status = iota
	// recordBlank is an empty line, which is skipped.
	recordBlank
	// recordBadQuote is a record with a quoting mistake: text after a
	// closing quote, or a quoted field still open at the end of the data.
	recordBadQuote
	// recordNeedMore means the record does not end in the data given, which
	// is not the end of the file.
	recordNeedMore
)

// parser splits records into fields, following RFC 4180: a field that starts
// with the quote character runs to the matching quote, may contain
// delimiters, newlines and doubled quotes, and must be followed by a
// delimiter or the end of the record. A quote inside an unquoted field is
// an ordinary character. Lines end with LF or CRLF.
//
// The file splitter and the decoders use the same parser, so they always
// agree on where a record ends.
type parser struct {
	delim, quote byte

	// fields are the fields of the last record: slices of the input, or of
	// scratch for quoted fields with doubled quotes.
	fields  [][]byte
	quoted  []bool
	scratch []byte
	// badField is the 0-based field at fault when a record has bad quoting.
	badField int
	// lines is the number of line breaks in the last record: 1, or more
	// for quoted fields with line breaks, or 0 for a last line without one.
	lines int
}

// parse parses the record at buf[pos:]. It returns the position after the
// record's line break and the status. atEOF says that buf ends where the
// file does, so a last line without a line break is complete.
func (p *parser) parse(buf []byte, pos int, atEOF bool) (int, status) {
	p.fields, p.quoted, p.scratch = p.fields[:0], p.quoted[:0], p.scratch[:0]
	rest := buf[pos:]
	nl := bytes.IndexByte(rest, '\n')
	var line []byte
	end := len(buf)
	p.lines = 1
	switch {
	case nl >= 0:
		line, end = rest[:nl], pos+nl+1
	case !atEOF:
		return pos, recordNeedMore
	default:
		line, p.lines = rest, 0
	}
	if p.quote != 0 && bytes.IndexByte(line, p.quote) >= 0 {
		end, st := p.parseQuoted(buf, pos, atEOF)
		p.lines = bytes.Count(buf[pos:end], newline)
		return end, st
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) == 0 {
		return end, recordBlank
	}
	p.splitLine(line)
	for range p.fields {
		p.quoted = append(p.quoted, false)
	}
	return end, recordOK
}

var newline = []byte{'\n'}

// skip finds the end of the record at buf[pos:] without splitting fields,
// unless it has a quote. It returns the same as parse, and whether the
// record is a blank line, which does not count as a record.
func (p *parser) skip(buf []byte, pos int, atEOF bool) (end int, st status) {
	rest := buf[pos:]
	nl := bytes.IndexByte(rest, '\n')
	line := rest
	end = len(buf)
	switch {
	case nl >= 0:
		line, end = rest[:nl], pos+nl+1
	case !atEOF:
		return pos, recordNeedMore
	}
	if p.quote != 0 && bytes.IndexByte(line, p.quote) >= 0 {
		p.fields, p.quoted, p.scratch = p.fields[:0], p.quoted[:0], p.scratch[:0]
		return p.parseQuoted(buf, pos, atEOF)
	}
	if len(line) == 0 || (len(line) == 1 && line[0] == '\r') {
		return end, recordBlank
	}
	return end, recordOK
}

// parseQuoted is the slow path, for records with a quote character.
func (p *parser) parseQuoted(buf []byte, pos int, atEOF bool) (int, status) {
	i := pos
	n := len(buf)
	bad := -1
	for {
		// At the start of a field.
		if i < n && buf[i] == p.quote {
			i++
			scratchStart := len(p.scratch)
			segStart := i
			copied := false
			for {
				q := bytes.IndexByte(buf[i:], p.quote)
				if q < 0 {
					if !atEOF {
						return pos, recordNeedMore
					}
					// Unterminated: the field runs to the end of the data.
					if bad < 0 {
						bad = len(p.fields)
					}
					p.addQuoted(buf[segStart:n], copied, scratchStart)
					p.badField = bad
					return n, recordBadQuote
				}
				i += q
				if i+1 < n && buf[i+1] == p.quote { // doubled quote
					p.scratch = append(p.scratch, buf[segStart:i+1]...)
					copied = true
					i += 2
					segStart = i
					continue
				}
				if i+1 >= n && !atEOF {
					return pos, recordNeedMore
				}
				p.addQuoted(buf[segStart:i], copied, scratchStart)
				i++ // past the closing quote
				break
			}
			// After the closing quote: delimiter, line end, or a mistake.
			if i < n && buf[i] != p.delim && buf[i] != '\n' && !(buf[i] == '\r' && (i+1 == n || buf[i+1] == '\n')) {
				if bad < 0 {
					bad = len(p.fields) - 1
				}
				// Skip the rest of the field as unquoted text.
				for i < n && buf[i] != p.delim && buf[i] != '\n' {
					i++
				}
			}
		} else {
			start := i
			for i < n && buf[i] != p.delim && buf[i] != '\n' {
				i++
			}
			f := buf[start:i]
			if i < n && buf[i] == '\n' && len(f) > 0 && f[len(f)-1] == '\r' {
				f = f[:len(f)-1]
			} else if i == n && atEOF && len(f) > 0 && f[len(f)-1] == '\r' {
				f = f[:len(f)-1]
			}
			p.fields = append(p.fields, f)
			p.quoted = append(p.quoted, false)
		}
		// i is at a delimiter, a line end (\n or \r\n) or the end of data.
		switch {
		case i >= n:
			if !atEOF {
				return pos, recordNeedMore
			}
			return p.finish(n, bad)
		case buf[i] == p.delim:
			i++
			if i == n && !atEOF {
				return pos, recordNeedMore
			}
		case buf[i] == '\r':
			if i+1 == n {
				if !atEOF {
					return pos, recordNeedMore
				}
				return p.finish(n, bad)
			}
			return p.finish(i+2, bad)
		default: // '\n'
			return p.finish(i+1, bad)
		}
	}
}

func (p *parser) addQuoted(seg []byte, copied bool, scratchStart int) {
	if copied {
		p.scratch = append(p.scratch, seg...)
		p.fields = append(p.fields, p.scratch[scratchStart:len(p.scratch):len(p.scratch)])
	} else {
		p.fields = append(p.fields, seg)
	}
	p.quoted = append(p.quoted, true)
}

func (p *parser) finish(end, bad int) (int, status) {
	if bad >= 0 {
		p.badField = bad
		return end, recordBadQuote
	}
	return end, recordOK
}

const (
	lows   = 0x0101010101010101
	sevens = 0x7f7f7f7f7f7f7f7f
)

// splitLine splits an unquoted line at the delimiter, eight bytes at a
// time: the delimiter's bytes in a word are found with the exact
// "has zero byte" bit trick (no false positives, unlike the shorter
// variant), so there is no branch per byte.
func (p *parser) splitLine(line []byte) {
	start, i := 0, 0
	pattern := uint64(p.delim) * lows
	for ; i+8 <= len(line); i += 8 {
		x := binary.LittleEndian.Uint64(line[i:]) ^ pattern
		m := ^((x&sevens + sevens) | x | sevens) // high bit set in bytes equal to the delimiter
		for m != 0 {
			j := i + bits.TrailingZeros64(m)>>3
			p.fields = append(p.fields, line[start:j])
			start = j + 1
			m &= m - 1
		}
	}
	for ; i < len(line); i++ {
		if line[i] == p.delim {
			p.fields = append(p.fields, line[start:i])
			start = i + 1
		}
	}
	p.fields = append(p.fields, line[start:])
}
