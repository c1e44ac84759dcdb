package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	for _, tc := range []struct {
		name                   string
		linkedV, linkedR       string
		bi                     *debug.BuildInfo
		ok                     bool
		wantVersion, wantRevis string
	}{
		{"release ldflags win", "0.1.0", "abc123", &debug.BuildInfo{Main: debug.Module{Version: "v9.9.9"}}, true, "0.1.0", "abc123"},
		{"go install of a tag", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.2.0"}}, true, "v0.2.0", "v0.2.0"},
		{"go install of a commit", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.2.1-0.20261203101500-abcdef123456"}}, true, "v0.2.1-0.20261203101500-abcdef123456", "abcdef123456"},
		{"go build in a checkout", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("0123456789abcdef0123456789abcdef01234567", "false")}, true, "devel", "0123456789abcdef0123456789abcdef01234567"},
		{"a dirty checkout", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("0123456789abcdef", "true")}, true, "devel", "0123456789abcdef-modified"},
		{"no build info", "", "", nil, false, "devel", "devel"},
		{"ldflags version only", "0.1.0", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("feed", "false")}, true, "0.1.0", "feed"},
	} {
		v, r := Resolve(tc.linkedV, tc.linkedR, tc.bi, tc.ok)
		if v != tc.wantVersion || r != tc.wantRevis {
			t.Errorf("%s: (%q, %q), want (%q, %q)", tc.name, v, r, tc.wantVersion, tc.wantRevis)
		}
		if v == "unknown" || r == "unknown" || v == "" || r == "" {
			t.Errorf("%s: says %q/%q", tc.name, v, r)
		}
	}
}
