package simulator

// Label selectors on lists (the labelSelector query parameter).
//
// Sources: Kubernetes "Labels and Selectors"
// (kubernetes.io/docs/concepts/overview/working-with-objects/labels/):
// equality-based requirements `key=value`, `key==value`, `key!=value`
// (!= also matches objects without the key), set-based `key in (a,b)`,
// `key notin (a,b)` (also matches objects without the key), `key`
// (exists) and `!key` (does not exist), comma-separated and ANDed; the
// API's query parameter `?labelSelector=...`. "Syntax and character set"
// (same page): keys are an optional DNS-subdomain prefix and "/" and a
// name of at most 63 characters ([a-z0-9A-Z] at both ends, -, _, . and
// alphanumerics between); values the same without prefix, or empty.
// The API reference (ListMeta.remainingItemCount): "If the list request
// contained label or field selectors, then the number of remaining items
// is unknown and the field will be left unset". apimachinery's
// labels.Parse also takes `key>n` and `key<n` (integers); so does this.
//
// Chosen: a selector that does not parse is a 400 BadRequest whose
// message starts "unable to parse requirement: " (the text of the API
// server's own errors is not documented).

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// k8sRequirement is one requirement of a selector: op is one of "=",
// "!=", "in", "notin", "exists", "!", ">", "<" ("==" reads as "=").
type k8sRequirement struct {
	key, op string
	values  []string
}

// k8sLabelSelector is a parsed selector; empty selects everything.
type k8sLabelSelector []k8sRequirement

var (
	k8sLabelNameRE  = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	k8sLabelValueRE = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)
)

// parseK8sLabelSelector parses the labelSelector query parameter.
func parseK8sLabelSelector(s string) (k8sLabelSelector, error) {
	toks := k8sSelectorTokens(s)
	var sel k8sLabelSelector
	for i := 0; i < len(toks); {
		r, next, err := k8sRequirementAt(toks, i)
		if err != nil {
			return nil, fmt.Errorf("unable to parse requirement: %w", err)
		}
		sel = append(sel, r)
		i = next
		if i == len(toks) {
			break
		}
		if toks[i] != "," {
			return nil, fmt.Errorf("unable to parse requirement: found '%s', expected: ',' or 'end of string'", toks[i])
		}
		i++
		if i == len(toks) {
			return nil, errors.New("unable to parse requirement: found '', expected: identifier after ','")
		}
	}
	return sel, nil
}

// k8sSelectorTokens splits a selector into operators ("=", "==", "!=",
// "!", ">", "<", "(", ")", ",") and words; whitespace only separates.
func k8sSelectorTokens(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case strings.IndexByte(" \t\r\n", c) >= 0:
			i++
		case strings.IndexByte("=!><(),", c) >= 0:
			if (c == '=' || c == '!') && i+1 < len(s) && s[i+1] == '=' {
				toks = append(toks, s[i:i+2])
				i += 2
			} else {
				toks = append(toks, s[i:i+1])
				i++
			}
		default:
			j := i
			for j < len(s) && strings.IndexByte(" \t\r\n=!><(),", s[j]) < 0 {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks
}

func k8sIsWord(t string) bool { return t != "" && strings.IndexByte("=!><(),", t[0]) < 0 }

// k8sRequirementAt parses the requirement starting at toks[i] and returns
// it with the index after it.
func k8sRequirementAt(toks []string, i int) (k8sRequirement, int, error) {
	at := func(j int) string {
		if j < len(toks) {
			return toks[j]
		}
		return ""
	}
	var r k8sRequirement
	if at(i) == "!" {
		r.op = "!"
		i++
	}
	if !k8sIsWord(at(i)) {
		return r, i, fmt.Errorf("found '%s', expected: identifier", at(i))
	}
	r.key = at(i)
	if err := k8sCheckLabelKey(r.key); err != nil {
		return r, i, err
	}
	i++
	if at(i) == "" || at(i) == "," {
		if r.op == "" {
			r.op = "exists"
		}
		return r, i, nil
	}
	if r.op == "!" {
		return r, i, fmt.Errorf("found '%s', expected: ',' or 'end of string'", at(i))
	}
	switch op := at(i); op {
	case "=", "==", "!=", ">", "<":
		r.op = map[string]string{"=": "=", "==": "=", "!=": "!=", ">": ">", "<": "<"}[op]
		i++
		v := ""
		if w := at(i); w != "" && w != "," {
			if !k8sIsWord(w) {
				return r, i, fmt.Errorf("found '%s', expected: identifier", w)
			}
			v = w
			i++
		}
		r.values = []string{v}
	case "in", "notin":
		r.op = op
		i++
		if at(i) != "(" {
			return r, i, fmt.Errorf("found '%s', expected: '('", at(i))
		}
		i++
		vals, next, err := k8sSetValues(toks, i)
		if err != nil {
			return r, i, err
		}
		r.values, i = vals, next
	default:
		return r, i, fmt.Errorf("found '%s', expected: in, notin, =, ==, !=, gt, lt", op)
	}
	for _, v := range r.values {
		if r.op == ">" || r.op == "<" {
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				return r, i, fmt.Errorf("for 'Gt', 'Lt' operators, the value must be an integer: %q", v)
			}
			continue
		}
		if len(v) > 63 || !k8sLabelValueRE.MatchString(v) {
			return r, i, fmt.Errorf("values[0][%s]: Invalid value: %q: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", r.key, v)
		}
	}
	return r, i, nil
}

// k8sSetValues reads "a, b)" (empty entries allowed: "()", "(,a)") from
// toks[i] and returns the values and the index after ")".
func k8sSetValues(toks []string, i int) ([]string, int, error) {
	var vals []string
	cur, have := "", false
	for ; i < len(toks); i++ {
		switch t := toks[i]; {
		case t == ")":
			return append(vals, cur), i + 1, nil
		case t == ",":
			vals, cur, have = append(vals, cur), "", false
		case k8sIsWord(t) && !have:
			cur, have = t, true
		default:
			return nil, i, fmt.Errorf("found '%s', expected: ',', ')' or identifier", t)
		}
	}
	return nil, i, errors.New("found '', expected: ')'")
}

// k8sCheckLabelKey checks a key: [prefix/]name.
func k8sCheckLabelKey(k string) error {
	name := k
	if i := strings.LastIndexByte(k, '/'); i >= 0 {
		prefix := k[:i]
		name = k[i+1:]
		if prefix == "" || len(prefix) > 253 || !k8sSubdomainRE.MatchString(prefix) {
			return fmt.Errorf("key: Invalid value: %q: prefix part must be a lowercase RFC 1123 subdomain", k)
		}
	}
	if len(name) > 63 || !k8sLabelNameRE.MatchString(name) {
		return fmt.Errorf("key: Invalid value: %q: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63)", k)
	}
	return nil
}

// matches reports whether an object with labels is selected.
func (sel k8sLabelSelector) matches(labels map[string]string) bool {
	for _, r := range sel {
		v, has := labels[r.key]
		ok := false
		switch r.op {
		case "exists":
			ok = has
		case "!":
			ok = !has
		case "=", "in":
			ok = has && slices.Contains(r.values, v)
		case "!=", "notin":
			ok = !has || !slices.Contains(r.values, v)
		case ">", "<":
			n, err := strconv.ParseInt(v, 10, 64)
			want, _ := strconv.ParseInt(r.values[0], 10, 64)
			ok = has && err == nil && ((r.op == ">" && n > want) || (r.op == "<" && n < want))
		}
		if !ok {
			return false
		}
	}
	return true
}
