package simulator

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Helpers of the lists' indexes: every simulated list answers a page in
// the page's size (plus a lookup), over indexes built once per change of
// the data rather than per request (as kubernetes_paging.go does for the
// Kubernetes API).

// foldKey maps s to a key that is the same for two strings exactly when
// strings.EqualFold holds them equal: each rune becomes the smallest rune
// of its simple case-folding orbit (as EqualFold compares rune by rune,
// an invalid byte being utf8.RuneError). So a map keyed by foldKey finds
// what a linear search with EqualFold found.
func foldKey(s string) string {
	ascii, keyed := true, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		if 'a' <= c && c <= 'z' {
			keyed = false
		}
	}
	if ascii {
		// The smallest rune of an ASCII letter's orbit is its upper case
		// (the orbits of k and s also hold the Kelvin sign and the long
		// s, which are larger), as foldRune finds.
		if keyed {
			return s
		}
		return strings.ToUpper(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

// foldRune is the smallest rune of r's simple case-folding orbit.
func foldRune(r rune) rune {
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
}

// filterCacheSize bounds a filterCache: when it is full, the next miss
// empties it (clients ask few distinct filters of one list at a time,
// but a time window makes each poll's filter new).
const filterCacheSize = 16

// filterCache holds the answers of a list to filters: the indexes of the
// matching items, in the list's order, under a key naming the filter. It
// belongs to an index rebuilt when the data changes, so that a filter is
// computed once per distinct filter and change, not per page.
type filterCache map[string][]int

// get returns the answer under key, computing it on a miss.
func (c *filterCache) get(key string, compute func() []int) []int {
	if r, ok := (*c)[key]; ok {
		return r
	}
	if *c == nil || len(*c) >= filterCacheSize {
		*c = filterCache{}
	}
	r := compute()
	(*c)[key] = r
	return r
}
