package kubernetes

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ValidateLabelSelector checks a label selector written in the
// configuration (velero's backup_label_selector) as the API server will
// parse it, so that a typo is a configuration error, not a poll that
// fails with a 400: the grammar of k8s.io/apimachinery's labels.Parse
// (comma-separated requirements `key`, `!key`, `key=value`,
// `key==value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`,
// `key>1`, `key<1`), keys as qualified names and values as label values.
// "" selects everything.
func ValidateLabelSelector(s string) error {
	p := &selectorParser{toks: lexSelector(s)}
	return p.parse()
}

// Label keys and values (apimachinery util/validation).
var (
	reQualifiedName = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	reLabelValue    = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)
	reDNSSubdomain  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

// ValidLabelValue reports whether v may be a label's value (at most 63
// characters: alphanumerics, '-', '_' and '.', alphanumeric at both
// ends, or empty).
func ValidLabelValue(v string) bool {
	return len(v) <= 63 && reLabelValue.MatchString(v)
}

func validLabelKey(k string) error {
	prefix, name, found := strings.Cut(k, "/")
	if !found {
		name, prefix = prefix, ""
	}
	switch {
	case found && (prefix == "" || len(prefix) > 253 || !reDNSSubdomain.MatchString(prefix)):
		return fmt.Errorf("key %q: the prefix must be a DNS-1123 subdomain", k)
	case len(name) > 63 || !reQualifiedName.MatchString(name):
		return fmt.Errorf("key %q: the name must be at most 63 characters, alphanumerics, '-', '_' or '.', alphanumeric at both ends", k)
	}
	return nil
}

// selectorToken is a token of a selector: an operator or punctuation
// ("!", "=", "==", "!=", ">", "<", "(", ")", ","), an identifier, or ""
// at the end.
type selectorToken struct {
	text  string
	ident bool
}

// lexSelector splits s as apimachinery's lexer does: whitespace
// separates, the symbols = ! ( ) , > < form the longest operator they
// can, anything else runs into an identifier.
func lexSelector(s string) []selectorToken {
	const special = "=!(),><"
	var out []selectorToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case strings.IndexByte(special, c) >= 0:
			tok := string(c)
			if i+1 < len(s) && (tok == "!" || tok == "=") && s[i+1] == '=' {
				tok += "="
			}
			out = append(out, selectorToken{text: tok})
			i += len(tok)
		default:
			j := i
			for j < len(s) && strings.IndexByte(special+" \t\r\n", s[j]) < 0 {
				j++
			}
			out = append(out, selectorToken{text: s[i:j], ident: true})
			i = j
		}
	}
	return out
}

type selectorParser struct {
	toks []selectorToken
	pos  int
}

func (p *selectorParser) peek() selectorToken {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return selectorToken{}
}

func (p *selectorParser) next() selectorToken {
	t := p.peek()
	if p.pos < len(p.toks) {
		p.pos++
	}
	return t
}

func (p *selectorParser) atEnd() bool { return p.pos >= len(p.toks) }

func (p *selectorParser) parse() error {
	if p.atEnd() {
		return nil
	}
	for {
		if t := p.peek(); !t.ident && t.text != "!" {
			return fmt.Errorf("found %q, expected: !, identifier, or end of string", t.text)
		}
		if err := p.requirement(); err != nil {
			return err
		}
		if p.atEnd() {
			return nil
		}
		if t := p.next(); t.text != "," || t.ident {
			return fmt.Errorf("found %q, expected: ',' or end of string", t.text)
		}
		if t := p.peek(); !t.ident && t.text != "!" {
			return fmt.Errorf("found %q, expected: identifier after ','", t.text)
		}
	}
}

func (p *selectorParser) requirement() error {
	negated := false
	t := p.next()
	if !t.ident && t.text == "!" {
		negated = true
		t = p.next()
	}
	if !t.ident {
		return fmt.Errorf("found %q, expected: identifier", t.text)
	}
	if err := validLabelKey(t.text); err != nil {
		return err
	}
	if p.atEnd() || (p.peek().text == "," && !p.peek().ident) {
		return nil // key exists, or !key
	}
	if negated {
		return fmt.Errorf("found %q after !%s, expected: ',' or end of string", p.peek().text, t.text)
	}
	op := p.next()
	switch {
	case op.ident && (op.text == "in" || op.text == "notin"):
		return p.values()
	case !op.ident && (op.text == "=" || op.text == "==" || op.text == "!="):
		return p.exactValue(false)
	case !op.ident && (op.text == ">" || op.text == "<"):
		return p.exactValue(true)
	}
	return fmt.Errorf("found %q, expected an operator: =, ==, !=, in, notin, >, <", op.text)
}

// exactValue is the value after =, ==, != (empty allowed) or > and <
// (an integer).
func (p *selectorParser) exactValue(integer bool) error {
	v := ""
	if t := p.peek(); !p.atEnd() && !(t.text == "," && !t.ident) {
		t = p.next()
		if !t.ident {
			return fmt.Errorf("found %q, expected: identifier", t.text)
		}
		v = t.text
	}
	if integer {
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return fmt.Errorf("for '>' and '<' the value must be an integer, not %q", v)
		}
		return nil
	}
	if !ValidLabelValue(v) {
		return fmt.Errorf("value %q: at most 63 characters, alphanumerics, '-', '_' or '.', alphanumeric at both ends", v)
	}
	return nil
}

// values is the parenthesised, comma-separated set of in and notin.
func (p *selectorParser) values() error {
	if t := p.next(); t.text != "(" || t.ident {
		return fmt.Errorf("found %q, expected: '('", t.text)
	}
	for {
		t := p.next()
		switch {
		case t.ident:
			if !ValidLabelValue(t.text) {
				return fmt.Errorf("value %q: at most 63 characters, alphanumerics, '-', '_' or '.', alphanumeric at both ends", t.text)
			}
			if n := p.peek(); n.ident || (n.text != "," && n.text != ")") {
				return fmt.Errorf("found %q, expected: ',' or ')'", n.text)
			}
		case t.text == ",":
			// An empty value: "(,a)", "(a,,b)", "(a,)".
		case t.text == ")":
			return nil
		default:
			return fmt.Errorf("found %q, expected: ',', ')' or identifier", t.text)
		}
	}
}
