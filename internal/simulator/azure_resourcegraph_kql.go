package simulator

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The subset of the Kusto Query Language (KQL) that the simulator's
// Resource Graph evaluates: the one tokenizer and parser of every query
// the simulator answers (the owners' tag look-ups' `Resources | where id
// in~ (...) | project id, tags`, Resource Graph mode's queries over
// RecoveryServicesResources and its coverage join over Resources), to the
// expressions and row operators of azure_resourcegraph_expr.go. Written
// from the KQL reference on Microsoft Learn ("String data type": single-
// or double-quoted literals with backslash escapes, verbatim @'...'
// literals whose quote is doubled; "String operators"; "Timespan data
// type" literals such as 2d; the "where", "extend", "project", "order
// by"/"sort by" and "join" operators). Anything else is a parse error,
// answered as Resource Graph answers one (azure_resourcegraph.go).

// kqlRow is one row: column name to value (string, float64, bool,
// time.Time, map[string]any, []any or nil).
type kqlRow = map[string]any

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
	kqlTimespan // a number with a unit: 2d, 36h, 500ms
	kqlPunct    // | ( ) , . and the operators
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
var kqlOperators = []string{"=~", "!~", "==", "!=", "<=", ">=", "|", "(", ")", ",", ".", "<", ">", "=", "[", "]"}

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
		case r == '!' && i+1 < len(q) && unicode.IsLetter(rune(q[i+1])):
			// A negated word operator: !in, !in~, !contains, !endswith...
			j := i + 1
			for j < len(q) && unicode.IsLetter(rune(q[j])) {
				j++
			}
			if strings.EqualFold(q[i+1:j], "in") && j < len(q) && q[j] == '~' {
				j++
			}
			out = append(out, kqlToken{kind: kqlPunct, text: strings.ToLower(q[i:j]), line: line, col: col})
			i = j
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
			kind := kqlNumber
			if k := j; k < len(q) && unicode.IsLetter(rune(q[k])) {
				for k < len(q) && unicode.IsLetter(rune(q[k])) {
					k++
				}
				if _, ok := kqlReadTimespan(q[i:k]); !ok {
					return nil, &kqlError{line: line, col: col, token: q[i:k], msg: "not a number or a timespan"}
				}
				kind, j = kqlTimespan, k
			}
			out = append(out, kqlToken{kind: kind, text: q[i:j], line: line, col: col})
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

// kqlQuery is a parsed query: a table and its tabular operators.
type kqlQuery struct {
	table string
	ops   []kqlOp
}

// kqlEnv is what a query runs against: the time of ago() and now(), and
// the tables in scope (a join's subquery reads its own).
type kqlEnv struct {
	now   time.Time
	table func(name string) ([]kqlRow, bool)
}

// kqlOp is one tabular operator.
type kqlOp func(rows []kqlRow, env kqlEnv) ([]kqlRow, error)

// kqlUnknownTable is a query naming a table the simulator does not hold.
type kqlUnknownTable struct{ name string }

func (e kqlUnknownTable) Error() string { return "the table '" + e.name + "' is not simulated" }

// run evaluates q over its table.
func (q *kqlQuery) run(env kqlEnv) ([]kqlRow, error) {
	rows, ok := env.table(q.table)
	if !ok {
		return nil, kqlUnknownTable{q.table}
	}
	for _, op := range q.ops {
		var err error
		if rows, err = op(rows, env); err != nil {
			return nil, err
		}
	}
	return rows, nil
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

// isWord reports whether t is the word w (case-insensitive).
func (t kqlToken) isWord(w string) bool { return t.kind == kqlIdent && strings.EqualFold(t.text, w) }

// isPunct reports whether t is the punctuation or operator s.
func (t kqlToken) isPunct(s string) bool { return t.kind == kqlPunct && t.text == s }

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
	if t := p.next(); !t.isPunct(text) {
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
	out, _, err := p.query()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != kqlEOF {
		return nil, p.fail(t, "expected \"|\"")
	}
	return out, nil
}

// query reads TABLE (| OPERATOR)*, up to the end or a closing
// parenthesis; columns are the names its last project or extend gives
// (a join's right side is known by them even when it has no rows).
func (p *kqlParser) query() (*kqlQuery, []string, error) {
	table, err := p.ident()
	if err != nil {
		return nil, nil, err
	}
	out := &kqlQuery{table: table}
	var columns []string
	for p.peek().isPunct("|") {
		p.next()
		t := p.next()
		var op kqlOp
		switch {
		case t.isWord("where"):
			var cond kqlExpr
			if cond, err = p.expr(); err == nil {
				op = func(rows []kqlRow, env kqlEnv) ([]kqlRow, error) { return kqlWhere(rows, cond, env.now), nil }
			}
		case t.isWord("extend"), t.isWord("project"):
			var cols []kqlNamed
			extend := t.isWord("extend")
			if cols, err = p.namedList(extend); err == nil {
				names := make([]string, len(cols))
				for i, c := range cols {
					names[i] = c.name
				}
				if extend {
					columns = append(columns, names...)
					op = func(rows []kqlRow, env kqlEnv) ([]kqlRow, error) { return kqlExtendRows(rows, cols, env.now), nil }
				} else {
					columns = names
					op = func(rows []kqlRow, env kqlEnv) ([]kqlRow, error) { return kqlProjectRows(rows, cols, env.now), nil }
				}
			}
		case t.isWord("order"), t.isWord("sort"):
			op, err = p.orderBy()
		case t.isWord("join"):
			op, err = p.join()
		default:
			return nil, nil, p.fail(t, "the simulator does not evaluate the operator %q", t.text)
		}
		if err != nil {
			return nil, nil, err
		}
		out.ops = append(out.ops, op)
	}
	return out, columns, nil
}

// namedList reads NAME = EXPR or (project only) a column, comma
// separated.
func (p *kqlParser) namedList(mustName bool) ([]kqlNamed, error) {
	var cols []kqlNamed
	for {
		t := p.next()
		if t.kind != kqlIdent {
			return nil, p.fail(t, "expected a name")
		}
		c := kqlNamed{name: t.text, expr: kqlCol{path: []string{t.text}}}
		if p.peek().isPunct("=") {
			p.next()
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			c.expr = e
		} else if mustName {
			return nil, p.fail(p.peek(), "expected \"=\"")
		}
		cols = append(cols, c)
		if !p.peek().isPunct(",") {
			return cols, nil
		}
		p.next()
	}
}

// orderBy reads `by COLUMN [asc|desc]`.
func (p *kqlParser) orderBy() (kqlOp, error) {
	if t := p.next(); !t.isWord("by") {
		return nil, p.fail(t, "expected \"by\"")
	}
	column, err := p.ident()
	if err != nil {
		return nil, err
	}
	desc := true // KQL sorts descending unless told
	if t := p.peek(); t.isWord("asc") || t.isWord("desc") {
		desc = p.next().isWord("desc")
	}
	return func(rows []kqlRow, _ kqlEnv) ([]kqlRow, error) { return kqlOrderRows(rows, column, desc), nil }, nil
}

// join reads `kind=leftouter (QUERY) on COLUMN`, the one join the
// simulator evaluates.
func (p *kqlParser) join() (kqlOp, error) {
	if t := p.next(); !t.isWord("kind") {
		return nil, p.fail(t, "the simulator evaluates only join kind=leftouter")
	}
	if err := p.expect("="); err != nil {
		return nil, err
	}
	if t := p.next(); !t.isWord("leftouter") {
		return nil, p.fail(t, "the simulator evaluates only join kind=leftouter")
	}
	if err := p.expect("("); err != nil {
		return nil, err
	}
	right, columns, err := p.query()
	if err != nil {
		return nil, err
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	if t := p.next(); !t.isWord("on") {
		return nil, p.fail(t, "expected \"on\"")
	}
	key, err := p.ident()
	if err != nil {
		return nil, err
	}
	return func(rows []kqlRow, env kqlEnv) ([]kqlRow, error) {
		r, err := right.run(env)
		if err != nil {
			return nil, err
		}
		return kqlLeftOuterJoin(rows, r, key, columns), nil
	}, nil
}

// Expressions, loosest first: or, and, then one comparison or string
// operator between two operands.

func (p *kqlParser) expr() (kqlExpr, error) { return p.binary(0) }

// kqlLevels are the binary operators' words by precedence.
var kqlLevels = [][]string{{"or"}, {"and"}}

func (p *kqlParser) binary(level int) (kqlExpr, error) {
	if level == len(kqlLevels) {
		return p.comparison()
	}
	l, err := p.binary(level + 1)
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind != kqlIdent || !slices.ContainsFunc(kqlLevels[level], func(w string) bool { return strings.EqualFold(w, t.text) }) {
			return l, nil
		}
		p.next()
		r, err := p.binary(level + 1)
		if err != nil {
			return nil, err
		}
		l = kqlBin{op: strings.ToLower(t.text), l: l, r: r}
	}
}

// kqlCompareOps are the comparison and string operators.
var kqlCompareOps = map[string]bool{
	"==": true, "!=": true, "=~": true, "!~": true, "<": true, "<=": true, ">": true, ">=": true,
	"contains": true, "!contains": true, "endswith": true, "!endswith": true, "startswith": true, "!startswith": true,
}

func (p *kqlParser) comparison() (kqlExpr, error) {
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	op := t.text
	if t.kind == kqlIdent {
		op = strings.ToLower(op)
	}
	switch {
	case (t.kind == kqlIdent || t.kind == kqlPunct) && (op == "in" || op == "in~" || op == "!in" || op == "!in~"):
		p.next()
		return p.inList(l, op)
	case (t.kind == kqlIdent && !strings.HasPrefix(op, "!") || t.kind == kqlPunct) && kqlCompareOps[op]:
		p.next()
		r, err := p.operand()
		if err != nil {
			return nil, err
		}
		return kqlBin{op: op, l: l, r: r}, nil
	}
	return l, nil
}

// inList reads (LITERAL, ...) after in, in~, !in or !in~.
func (p *kqlParser) inList(x kqlExpr, op string) (kqlExpr, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var values []string
	for {
		t := p.next()
		if t.kind != kqlString {
			return nil, p.fail(t, "expected a string literal")
		}
		values = append(values, t.text)
		if t := p.next(); t.isPunct(")") {
			break
		} else if !t.isPunct(",") {
			return nil, p.fail(t, "expected \",\" or \")\"")
		}
	}
	return newKQLIn(x, values, strings.HasSuffix(op, "~"), strings.HasPrefix(op, "!")), nil
}

// operand reads a literal, a parenthesised expression, a function call
// or a column with its properties (properties.dataSourceInfo.resourceID).
func (p *kqlParser) operand() (kqlExpr, error) {
	t := p.next()
	switch t.kind {
	case kqlString:
		return kqlLit{v: t.text}, nil
	case kqlNumber:
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, p.fail(t, "not a number")
		}
		return kqlLit{v: f}, nil
	case kqlTimespan:
		d, _ := kqlReadTimespan(t.text)
		return kqlLit{v: d}, nil
	case kqlPunct:
		if t.text == "(" {
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			return e, p.expect(")")
		}
	case kqlIdent:
		switch lower := strings.ToLower(t.text); {
		case lower == "true" || lower == "false":
			return kqlLit{v: lower == "true"}, nil
		case p.peek().isPunct("("):
			if !kqlFunctions[lower] {
				return nil, p.fail(t, "the simulator does not evaluate the function %q", t.text)
			}
			p.next()
			var args []kqlExpr
			for !p.peek().isPunct(")") {
				a, err := p.expr()
				if err != nil {
					return nil, err
				}
				args = append(args, a)
				if !p.peek().isPunct(",") {
					break
				}
				p.next()
			}
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			return kqlCall{fn: lower, args: args}, nil
		case kqlReserved[lower]:
			return nil, p.fail(t, "expected an expression")
		}
		path := []string{t.text}
		for p.peek().isPunct(".") {
			p.next()
			name, err := p.ident()
			if err != nil {
				return nil, err
			}
			path = append(path, name)
		}
		return kqlCol{path: path}, nil
	}
	return nil, p.fail(t, "expected an expression")
}

// kqlFunctions are the functions kqlCall evaluates.
var kqlFunctions = map[string]bool{"todatetime": true, "tostring": true, "tolower": true, "toupper": true,
	"isempty": true, "isnotempty": true, "ago": true, "now": true, "not": true}

// kqlReserved are words that cannot start an operand.
var kqlReserved = map[string]bool{"and": true, "or": true, "in": true, "in~": true,
	"contains": true, "endswith": true, "startswith": true}
