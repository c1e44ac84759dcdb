package simulator

import (
	"strings"
	"testing"
)

func TestFoldKeyIsEqualFold(t *testing.T) {
	words := []string{"", "a", "A", "demo-RG", "Demo-rg", "k", "K", "\u212a", "s", "S", "\u017f", "ß", "ẞ", "Σ", "σ", "ς",
		"İ", "i", "I", "ı", "\xff", "\xfe", "\ufffd", "Straße", "STRASSE", "vol-001", "VOL-001", "ǅ", "ǆ", "Ǆ", "µ", "Μ", "μ"}
	for _, a := range words {
		for _, b := range words {
			if got, want := foldKey(a) == foldKey(b), strings.EqualFold(a, b); got != want {
				t.Errorf("%q, %q: foldKey equal %v, EqualFold %v", a, b, got, want)
			}
			if got, want := foldKey(a+"x"+b) == foldKey(b+"x"+a), strings.EqualFold(a+"x"+b, b+"x"+a); got != want {
				t.Errorf("%q, %q joined: foldKey equal %v, EqualFold %v", a, b, got, want)
			}
		}
	}
}

func TestFilterCache(t *testing.T) {
	var c filterCache
	calls := 0
	compute := func() []int { calls++; return []int{calls} }
	if r := c.get("a", compute); r[0] != 1 {
		t.Fatal(r)
	}
	if r := c.get("a", compute); r[0] != 1 || calls != 1 {
		t.Fatal(r, calls)
	}
	for i := range 2 * filterCacheSize {
		c.get(strings.Repeat("b", i+1), compute)
	}
	if len(c) > filterCacheSize {
		t.Errorf("%d entries", len(c))
	}
}
