package velero

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A namespace filter of Velero (pkg/util/collections/includes_excludes.go)
// matches names against its entries as gobwas/glob patterns without
// separators: * any run of characters, ? one, [abc], [a-z] and [!a-z] one
// of a class, {a,b} one of the alternatives, \ escapes. Each entry is
// turned into an anchored RE2 regular expression here, so that an
// upstream pattern, however hostile, matches in linear time.

// maxGlob bounds a pattern read from the API; a longer one does not
// compile (and so matches nothing, as Velero's compile errors do).
const maxGlob = 1024

// globSet is the entries of an includedNamespaces or excludedNamespaces
// list, compiled.
type globSet struct {
	// all: the list holds "*" (includes: every namespace).
	all bool
	// literal are the entries without glob characters.
	literal map[string]bool
	// patterns are the compiled entries in Velero's order (sorted); a nil
	// one did not compile.
	patterns []*regexp.Regexp
	// broken is the index of the first entry that did not compile: Velero
	// stops there, no match (globStringSet.match returns false on the
	// first compile error of its sorted entries).
	broken int
}

// isGlob reports whether an entry is a pattern rather than a name.
func isGlob(s string) bool { return strings.ContainsAny(s, `*?[]{}\`) }

func compileSet(entries []string) *globSet {
	sorted := slices.Clone(entries)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	s := &globSet{literal: map[string]bool{}, broken: -1}
	for _, e := range sorted {
		if e == "*" {
			s.all = true
		}
		if !isGlob(e) {
			s.literal[e] = true
		}
		re := globRegexp(e)
		if re == nil && s.broken < 0 {
			s.broken = len(s.patterns)
		}
		s.patterns = append(s.patterns, re)
	}
	return s
}

// match reports whether name matches an entry, as Velero's
// globStringSet.match: entries in sorted order, and an entry that does not
// compile ends the search without a match.
func (s *globSet) match(name string) bool {
	if s.broken < 0 && s.literal[name] {
		return true
	}
	for i, re := range s.patterns {
		if i == s.broken {
			return false
		}
		if re.MatchString(name) {
			return true
		}
	}
	return false
}

// globRegexp compiles a gobwas/glob pattern (no separators) into an
// anchored regular expression; nil when it does not compile.
func globRegexp(g string) *regexp.Regexp {
	if len(g) > maxGlob || !utf8.ValidString(g) {
		return nil
	}
	var b strings.Builder
	b.WriteString(`^(?s:`)
	rest, ok := translateGlob(&b, g, false)
	if !ok || rest != "" {
		return nil
	}
	b.WriteString(`)$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil
	}
	return re
}

// translateGlob writes the regexp of g up to its end, or (inAlt) up to
// the ',' or '}' that ends the alternative, and returns what is left.
func translateGlob(b *strings.Builder, g string, inAlt bool) (string, bool) {
	for g != "" {
		r, n := utf8.DecodeRuneInString(g)
		switch {
		case inAlt && (r == ',' || r == '}'):
			return g, true
		case r == '*':
			b.WriteString(`.*`)
		case r == '?':
			b.WriteString(`.`)
		case r == '\\':
			if len(g) == n {
				return "", false
			}
			e, m := utf8.DecodeRuneInString(g[n:])
			b.WriteString(regexp.QuoteMeta(string(e)))
			n += m
		case r == '[':
			end := strings.IndexByte(g[1:], ']')
			if end < 0 {
				return "", false
			}
			class, ok := translateClass(g[1 : 1+end])
			if !ok {
				return "", false
			}
			b.WriteString(class)
			n = end + 2
		case r == '{':
			b.WriteString(`(?:`)
			rest := g[1:]
			for {
				var ok bool
				if rest, ok = translateGlob(b, rest, true); !ok || rest == "" {
					return "", false
				}
				if rest[0] == '}' {
					break
				}
				b.WriteString(`|`)
				rest = rest[1:]
			}
			b.WriteString(`)`)
			g, n = rest, 1
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
		g = g[n:]
	}
	return "", !inAlt
}

// translateClass turns the inside of [...] (a leading ! negates; a-z is
// a range) into a regexp class; false for an empty class or a range whose
// ends are reversed.
func translateClass(c string) (string, bool) {
	neg := strings.HasPrefix(c, "!")
	if neg {
		c = c[1:]
	}
	if c == "" {
		return "", false
	}
	var b strings.Builder
	b.WriteString("[")
	if neg {
		b.WriteString("^")
	}
	runes := []rune(c)
	for i := 0; i < len(runes); i++ {
		lo := runes[i]
		if i+2 < len(runes) && runes[i+1] == '-' {
			hi := runes[i+2]
			if hi < lo {
				return "", false
			}
			b.WriteString(`\x{` + hexRune(lo) + `}-\x{` + hexRune(hi) + `}`)
			i += 2
			continue
		}
		b.WriteString(`\x{` + hexRune(lo) + `}`)
	}
	b.WriteString("]")
	return b.String(), true
}

func hexRune(r rune) string { return strconv.FormatInt(int64(r), 16) }
