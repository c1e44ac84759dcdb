package once

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// escapeCell makes an upstream string safe to print in a table cell on a
// terminal, as kubectl does since CVE-2021-25743 but for every control
// character: C0 controls (ESC, CR, LF, BEL, NUL, ...), DEL, C1 controls
// (U+0080 to U+009F: U+009B is a CSI to some terminals), other characters
// that are not graphic (bidi overrides, line separators) and invalid UTF-8
// are written as Go escapes (\x1b, \r, \n, \t, \u009b, \u202e, \xff). So a
// row is one line and a name cannot move the cursor, erase a row or
// recolour the table. The result is for reading, not reversible: a
// backslash in a name is printed as it is.
func escapeCell(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case !unicode.IsGraphic(r) && r > 0xffff:
			fmt.Fprintf(&b, `\U%08x`, r)
		case !unicode.IsGraphic(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || !unicode.IsGraphic(r) {
			return true
		}
		i += size
	}
	return false
}

// escapeJSONControls writes DEL, the C1 controls and the other characters
// that are not graphic (a bidi override) of JSON text as \u escapes.
// encoding/json already escapes the C0 controls, U+2028 and U+2029 and
// replaces invalid UTF-8, but writes the others as they are, which reach a
// terminal when the JSON is printed there. Outside strings JSON text is
// printable ASCII, spaces and newlines, which are left alone; inside a
// string the escape means the same character.
func escapeJSONControls(b []byte) []byte {
	if !bytes.ContainsFunc(b, jsonEscaped) {
		return b
	}
	out := make([]byte, 0, len(b)+32)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case !jsonEscaped(r) || (r == utf8.RuneError && size == 1):
			out = append(out, b[i:i+size]...)
		case r > 0xffff:
			// JSON escapes such a character as its UTF-16 surrogates.
			hi, lo := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, hi, lo)
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += size
	}
	return out
}

func jsonEscaped(r rune) bool { return r >= 0x7f && !unicode.IsGraphic(r) }
