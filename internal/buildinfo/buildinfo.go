// Package buildinfo fills the version of github.com/prometheus/common/version
// from the Go module build information when the binary was built without
// the release's -ldflags -X (go install, go build), so that --version and
// backup_exporter_build_info never say "unknown".
package buildinfo

import (
	"runtime/debug"
	"strings"

	"github.com/prometheus/common/version"
)

// Apply fills version.Version and version.Revision where -ldflags left
// them empty. Call it first in main.
func Apply() {
	bi, ok := debug.ReadBuildInfo()
	v, r := Resolve(version.Version, version.Revision, bi, ok)
	version.Version, version.Revision = v, r
}

// Resolve returns the version and revision to report: the ones set at
// link time, else the module's version (v1.2.3 for go install of a tag,
// "devel" for a local build) and the VCS revision stamped by the go
// command (with "-modified" for a dirty tree), else the commit of a
// pseudo-version (v0.0.0-20261203101500-abcdef123456), else the module
// version itself.
func Resolve(linkedVersion, linkedRevision string, bi *debug.BuildInfo, ok bool) (string, string) {
	v, r := linkedVersion, linkedRevision
	if !ok || bi == nil {
		if v == "" {
			v = "devel"
		}
		if r == "" {
			r = v
		}
		return v, r
	}
	mod := bi.Main.Version
	if v == "" {
		v = mod
		if v == "" || v == "(devel)" {
			v = "devel"
		}
	}
	if r == "" {
		rev, modified := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		switch {
		case rev != "" && modified:
			r = rev + "-modified"
		case rev != "":
			r = rev
		case pseudoCommit(mod) != "":
			r = pseudoCommit(mod)
		default:
			r = v
		}
	}
	return v, r
}

// pseudoCommit is the commit prefix of a pseudo-version, or "".
func pseudoCommit(v string) string {
	v, _, _ = strings.Cut(v, "+")
	i := strings.LastIndexByte(v, '-')
	if i < 0 {
		return ""
	}
	c := v[i+1:]
	if len(c) != 12 || strings.Trim(c, "0123456789abcdef") != "" || strings.Count(v, "-") < 2 {
		return ""
	}
	return c
}
