package simulator

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The subset of the Kusto Query Language (KQL) that the simulator's
// Resource Graph evaluates, written from the KQL reference on Microsoft
// Learn ("String data type": single- or double-quoted literals with
// backslash escapes, verbatim @'...' literals whose quote is doubled;
// "The case-insensitive in~ string operator"; "where operator"; "project
// operator"): a table, then `| where COLUMN in~ (LITERAL, ...)` (also
// in, !in, !in~) and `| project COLUMN, ...`. Anything else is a parse
// error, answered as Resource Graph answers one (azure_resourcegraph.go).
// It is built to grow (where type =~, extend, order by, join): a
// tokenizer, a parser to a pipeline of operators, an evaluator over rows.

// kqlRow is one row: column name to value (string, map, number, nil).
type kqlRow map[string]any

// kqlToken is a token of a query.
type kqlToken struct {
	kind kqlKind
	text string // the source text (for a string: its value)
	// line and col (1-based line, 0-based character in the line) place
	// the token, as Resource Graph's errors do.
	line, col int
}

type kqlKind int

const (
	kqlEOF kqlKind = iota
	kqlIdent
	kqlString
	kqlNumber
	kqlPunct // | ( ) , . and the operators
)

// kqlError is a parse error: where, and the token that could not be read.
type kqlError struct {
	line, col int
	token     string
	msg       string
}

func (e *kqlError) Error() string {
	return fmt.Sprintf("line %d, position %d, at %q: %s", e.line, e.col, e.token, e.msg)
}

// kqlOperators are the punctuation tokens, longest first.
var kqlOperators = []string{"!in~", "!in", "=~", "!~", "==", "!=", "<=", ">=", "|", "(", ")", ",", ".", "<", ">", "=", "[", "]"}

// kqlTokenize splits a query into tokens.
func kqlTokenize(q string) ([]kqlToken, error) {
	var out []kqlToken
	line, lineStart := 1, 0
	for i := 0; i < len(q); {
		r, size := utf8.DecodeRuneInString(q[i:])
		col := i - lineStart
		switch {
		case r == '\n':
			line, lineStart = line+1, i+1
			i++
			continue
		case unicode.IsSpace(r):
			i += size
			continue
		case strings.HasPrefix(q[i:], "//"):
			// A comment, to the end of the line.
			for i < len(q) && q[i] != '\n' {
				i++
			}
			continue
		case r == '\'' || r == '"' || ((r == '@' || r == 'h' || r == 'H') && i+1 < len(q) && (q[i+1] == '\'' || q[i+1] == '"')):
			s, n, err := kqlReadString(q[i:])
			if err != nil {
				return nil, &kqlError{line: line, col: col, token: kqlExcerpt(q[i:]), msg: err.Error()}
			}
			out = append(out, kqlToken{kind: kqlString, text: s, line: line, col: col})
			i += n
			continue
		case r == '_' || unicode.IsLetter(r):
			j := i
			for j < len(q) {
				c, n := utf8.DecodeRuneInString(q[j:])
				if c != '_' && !unicode.IsLetter(c) && !unicode.IsDigit(c) {
					break
				}
				j += n
			}
			// in~ is one operator.
			if word := q[i:j]; strings.EqualFold(word, "in") && j < len(q) && q[j] == '~' {
				j++
			}
			out = append(out, kqlToken{kind: kqlIdent, text: q[i:j], line: line, col: col})
			i = j
			continue
		case unicode.IsDigit(r):
			j := i
			for j < len(q) && (q[j] >= '0' && q[j] <= '9' || q[j] == '.') {
				j++
			}
			out = append(out, kqlToken{kind: kqlNumber, text: q[i:j], line: line, col: col})
			i = j
			continue
		}
		matched := false
		for _, op := range kqlOperators {
			if strings.HasPrefix(q[i:], op) {
				out = append(out, kqlToken{kind: kqlPunct, text: op, line: line, col: col})
				i += len(op)
				matched = true
				break
			}
		}
		if !matched {
			return nil, &kqlError{line: line, col: col, token: string(r), msg: "unexpected character"}
		}
	}
	out = append(out, kqlToken{kind: kqlEOF, line: line, col: len(q) - lineStart})
	return out, nil
}

// kqlReadString reads a string literal at the start of s: its value and
// length.
func kqlReadString(s string) (string, int, error) {
	i := 0
	verbatim := false
	switch s[0] {
	case '@':
		verbatim, i = true, 1
	case 'h', 'H':
		// An obfuscated literal: the same value.
		i = 1
	}
	quote := s[i]
	i++
	var b strings.Builder
	for i < len(s) {
		c := s[i]
		switch {
		case c == quote && verbatim && i+1 < len(s) && s[i+1] == quote:
			b.WriteByte(quote)
			i += 2
		case c == quote:
			return b.String(), i + 1, nil
		case c == '\n':
			return "", 0, fmt.Errorf("a string literal ends at the end of a line")
		case c == '\\' && !verbatim:
			if i+1 >= len(s) {
				return "", 0, fmt.Errorf("unterminated string literal")
			}
			switch e := s[i+1]; e {
			case '\\', '\'', '"':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				return "", 0, fmt.Errorf("unknown escape \\%c in a string literal", e)
			}
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", 0, fmt.Errorf("unterminated string literal")
}

func kqlExcerpt(s string) string {
	if len(s) > 20 {
		return s[:20]
	}
	return s
}

// kqlQuery is a parsed query: a table and its operators.
type kqlQuery struct {
	table string
	ops   []kqlOp
}

// kqlOp is one tabular operator.
type kqlOp interface {
	apply(rows []kqlRow) []kqlRow
}

// kqlWhereIn is `where COLUMN in~ (...)` (in, !in, !in~).
type kqlWhereIn struct {
	column string
	values []string
	fold   bool // ~: without case
	negate bool
}

func (w kqlWhereIn) apply(rows []kqlRow) []kqlRow {
	set := make(map[string]bool, len(w.values))
	for _, v := range w.values {
		if w.fold {
			v = strings.ToLower(v)
		}
		set[v] = true
	}
	var out []kqlRow
	for _, row := range rows {
		s, ok := row[w.column].(string)
		if ok && w.fold {
			s = strings.ToLower(s)
		}
		if (ok && set[s]) != w.negate {
			out = append(out, row)
		}
	}
	return out
}

// kqlProject is `project COLUMN, ...`.
type kqlProject struct{ columns []string }

func (p kqlProject) apply(rows []kqlRow) []kqlRow {
	out := make([]kqlRow, len(rows))
	for i, row := range rows {
		o := make(kqlRow, len(p.columns))
		for _, c := range p.columns {
			o[c] = row[c]
		}
		out[i] = o
	}
	return out
}

// kqlParser reads tokens.
type kqlParser struct {
	toks []kqlToken
	pos  int
}

func (p *kqlParser) peek() kqlToken { return p.toks[p.pos] }

func (p *kqlParser) next() kqlToken {
	t := p.toks[p.pos]
	if t.kind != kqlEOF {
		p.pos++
	}
	return t
}

func (p *kqlParser) fail(t kqlToken, format string, args ...any) error {
	tok := t.text
	if t.kind == kqlEOF {
		tok = "<EOF>"
	} else if t.kind == kqlString {
		tok = "'" + t.text + "'"
	}
	return &kqlError{line: t.line, col: t.col, token: tok, msg: fmt.Sprintf(format, args...)}
}

func (p *kqlParser) expect(text string) error {
	if t := p.next(); t.kind != kqlPunct || t.text != text {
		return p.fail(t, "expected %q", text)
	}
	return nil
}

func (p *kqlParser) ident() (string, error) {
	t := p.next()
	if t.kind != kqlIdent {
		return "", p.fail(t, "expected a name")
	}
	return t.text, nil
}

// kqlParse parses a query of the subset.
func kqlParse(q string) (*kqlQuery, error) {
	toks, err := kqlTokenize(q)
	if err != nil {
		return nil, err
	}
	p := &kqlParser{toks: toks}
	table, err := p.ident()
	if err != nil {
		return nil, err
	}
	out := &kqlQuery{table: table}
	for p.peek().kind != kqlEOF {
		if err := p.expect("|"); err != nil {
			return nil, err
		}
		t := p.next()
		if t.kind != kqlIdent {
			return nil, p.fail(t, "expected an operator")
		}
		var op kqlOp
		switch strings.ToLower(t.text) {
		case "where":
			op, err = p.whereIn()
		case "project":
			op, err = p.project()
		default:
			return nil, p.fail(t, "the simulator does not evaluate the operator %q", t.text)
		}
		if err != nil {
			return nil, err
		}
		out.ops = append(out.ops, op)
	}
	return out, nil
}

func (p *kqlParser) whereIn() (kqlOp, error) {
	column, err := p.ident()
	if err != nil {
		return nil, err
	}
	w := kqlWhereIn{column: column}
	switch t := p.next(); {
	case t.kind == kqlIdent && t.text == "in~":
		w.fold = true
	case t.kind == kqlIdent && t.text == "in":
	case t.kind == kqlPunct && t.text == "!in~":
		w.fold, w.negate = true, true
	case t.kind == kqlPunct && t.text == "!in":
		w.negate = true
	default:
		return nil, p.fail(t, "the simulator evaluates only `where COLUMN in~ (...)` (in, !in, !in~)")
	}
	if err := p.expect("("); err != nil {
		return nil, err
	}
	for {
		t := p.next()
		if t.kind != kqlString {
			return nil, p.fail(t, "expected a string literal")
		}
		w.values = append(w.values, t.text)
		if t := p.next(); t.kind == kqlPunct && t.text == ")" {
			return w, nil
		} else if t.kind != kqlPunct || t.text != "," {
			return nil, p.fail(t, "expected \",\" or \")\"")
		}
	}
}

func (p *kqlParser) project() (kqlOp, error) {
	var cols []string
	for {
		c, err := p.ident()
		if err != nil {
			return nil, err
		}
		cols = append(cols, c)
		if t := p.peek(); t.kind != kqlPunct || t.text != "," {
			return kqlProject{columns: cols}, nil
		}
		p.next()
	}
}

// run evaluates q over the rows of its table.
func (q *kqlQuery) run(rows []kqlRow) []kqlRow {
	for _, op := range q.ops {
		rows = op.apply(rows)
	}
	return rows
}
