package velero

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestGlob: the namespace globs of Velero's filters, as gobwas/glob
// (no separators) matches them: the cases of its README and of Velero's
// resource-filtering docs.
func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		glob  string
		match []string
		miss  []string
	}{
		{"*", []string{"", "a", "kube-system", "a/b"}, nil},
		{"kube-*", []string{"kube-", "kube-system", "kube-public"}, []string{"kube", "xkube-system"}},
		{"*-prod", []string{"shop-prod", "-prod"}, []string{"shop-prod2", "prod"}},
		{"app-?", []string{"app-1", "app-x"}, []string{"app-", "app-10"}},
		{"ns-[abc]", []string{"ns-a", "ns-c"}, []string{"ns-d", "ns-ab", "ns-"}},
		{"ns-[a-c]x", []string{"ns-bx"}, []string{"ns-dx"}},
		{"ns-[!a-c]", []string{"ns-d", "ns-1"}, []string{"ns-a", "ns-c"}},
		{"{shop,billing}-*", []string{"shop-1", "billing-x"}, []string{"ci-1", "shop"}},
		{"a{b,c{d,e}}f", []string{"abf", "acdf", "acef"}, []string{"acf", "af"}},
		{`a\*b`, []string{"a*b"}, []string{"axb"}},
		{"shop", []string{"shop"}, []string{"shop2", "Shop"}},
		{"a.b+c(d)", []string{"a.b+c(d)"}, []string{"axb+c(d)"}},
		{"*a*a*a*a*a*a*a*a*a*b", []string{"aaaaaaaaab"}, []string{strings.Repeat("a", 2000)}},
	} {
		re := globRegexp(tc.glob)
		if re == nil {
			t.Errorf("%q does not compile", tc.glob)
			continue
		}
		for _, m := range tc.match {
			if !re.MatchString(m) {
				t.Errorf("%q does not match %q", tc.glob, m)
			}
		}
		for _, m := range tc.miss {
			if re.MatchString(m) {
				t.Errorf("%q matches %q", tc.glob, m)
			}
		}
	}
	for _, bad := range []string{"[", "ns-[abc", "ns-[]", "[z-a]", "{a,b", "a}b{", `a\`, "{a,{b}", strings.Repeat("a", maxGlob+1), "\xff*"} {
		if globRegexp(bad) != nil {
			t.Errorf("%q compiles", bad)
		}
	}
}

// TestGlobSetIsVelerosMatch: a set's entries are tried in sorted order
// and an entry that does not compile ends the search without a match
// (includes_excludes.go, globStringSet.match); literal names match
// directly.
func TestGlobSetIsVelerosMatch(t *testing.T) {
	s := compileSet([]string{"shop", "kube-*"})
	if !s.match("shop") || !s.match("kube-system") || s.match("billing") {
		t.Error("shop, kube-*")
	}
	// "[" sorts before "kube-*": nothing matches after it.
	s = compileSet([]string{"kube-*", "[", "shop"})
	if s.match("kube-system") || s.match("shop") {
		t.Error("an entry after one that does not compile matched")
	}
	// "zz[" sorts after "kube-*": kube-* still matches, shop (after it) not.
	s = compileSet([]string{"zz[", "kube-*", "shop"})
	if !s.match("kube-system") || s.match("zzz") {
		t.Error("kube-*, zz[")
	}
	if s := compileSet(nil); s.all || s.match("x") {
		t.Error("empty set")
	}
	if s := compileSet([]string{"a", "*"}); !s.all || !s.literal["a"] {
		t.Error("* and a literal")
	}
}

// TestCoverBounded: more namespace × filter pairs than one poll
// evaluates fail the poll with a clear error (before any is evaluated),
// and a cancelled poll stops.
func TestCoverBounded(t *testing.T) {
	nss := make([]*namespace, 1000)
	for i := range nss {
		nss[i] = &namespace{}
		nss[i].Metadata.Name = fmt.Sprintf("ns-%d", i)
	}
	f := &filter{includes: compileSet(nil), excludes: compileSet(nil), includeAll: true}
	fs := &filters{list: make([]*filter, maxCoverage/len(nss)+1)}
	for i := range fs.list {
		fs.list[i] = f
	}
	if _, err := cover(context.Background(), fs, nss, CoverageNamed); err == nil || !strings.Contains(err.Error(), "more than one poll evaluates") {
		t.Errorf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fs.list = fs.list[:10]
	if _, err := cover(ctx, fs, nss, CoverageNamed); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if c, err := cover(context.Background(), fs, nss, CoverageNamed); err != nil || !c.covered[9].has(999) {
		t.Errorf("10 filters: %v", err)
	}
}
