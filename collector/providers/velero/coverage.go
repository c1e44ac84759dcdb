package velero

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// Which namespaces a Schedule (spec.template) or a Backup (spec) covers:
// its namespace filter, compiled once per distinct filter (a Schedule's
// Backups share their template's), then evaluated once per namespace.

// filter is a compiled namespace filter.
type filter struct {
	includes, excludes *globSet
	// includeAll: includedNamespaces is empty or holds "*".
	includeAll bool
	// selective: the spec's label selectors pick individual objects.
	selective bool
}

// covers reports whether the filter covers namespace ns, with mode the
// target's label_selector_coverage: excludes win; a selective filter
// covers only the namespaces its includes name literally (named),
// whatever its namespace filter matches (all), or nothing (none).
func (f *filter) covers(ns, mode string) bool {
	if f.excludes.match(ns) {
		return false
	}
	if f.selective {
		switch mode {
		case CoverageNone:
			return false
		case CoverageNamed:
			return f.includes.literal[ns]
		}
	}
	return f.includeAll || f.includes.match(ns)
}

// onlyLiterals reports whether the namespaces the filter can cover are
// among its literal includes (so that they need not all be tried).
func (f *filter) onlyLiterals(mode string) bool {
	if f.selective && mode == CoverageNamed {
		return true
	}
	return !f.includeAll && len(f.includes.patterns) == len(f.includes.literal)
}

// filters compiles and numbers the distinct filters of a poll.
type filters struct {
	byKey map[string]int
	list  []*filter
}

// add returns the number of s's filter, compiling it the first time.
func (fs *filters) add(s *backupSpec) int {
	sel := s.selective()
	key := strconv.FormatBool(sel) + "\x00" + strings.Join(s.IncludedNamespaces, "\x01") + "\x00" + strings.Join(s.ExcludedNamespaces, "\x01")
	if i, ok := fs.byKey[key]; ok {
		return i
	}
	f := &filter{includes: compileSet(s.IncludedNamespaces), excludes: compileSet(s.ExcludedNamespaces), selective: sel}
	f.includeAll = len(s.IncludedNamespaces) == 0 || f.includes.all
	fs.byKey[key] = len(fs.list)
	fs.list = append(fs.list, f)
	return len(fs.list) - 1
}

// bitset is a set of small integers.
type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }

// coverage is which namespaces each filter covers.
type coverage struct {
	namespaces []*namespace
	covered    []bitset // by filter number, over namespaces
}

// maxCoverage bounds the namespace × filter pairs one poll evaluates
// (and holds as bits): an upstream that lists more distinct namespace
// filters than a cluster has reason to fails the poll, saying so, rather
// than the exporter's memory.
const maxCoverage = 200_000_000

// cover evaluates every filter against every namespace (a filter that can
// only cover the namespaces it names is tried on those only).
func cover(ctx context.Context, fs *filters, nss []*namespace, mode string) (*coverage, error) {
	if pairs := len(fs.list) * len(nss); pairs > maxCoverage {
		return nil, fmt.Errorf("%d namespaces × %d distinct namespace filters of Schedules and Backups is more than one poll evaluates (%d)", len(nss), len(fs.list), maxCoverage)
	}
	index := make(map[string]int, len(nss))
	for i, n := range nss {
		if _, dup := index[n.Metadata.Name]; !dup {
			index[n.Metadata.Name] = i
		}
	}
	c := &coverage{namespaces: nss, covered: make([]bitset, len(fs.list))}
	for fi, f := range fs.list {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		bits := newBitset(len(nss))
		c.covered[fi] = bits
		if f.onlyLiterals(mode) {
			for name := range f.includes.literal {
				if i, ok := index[name]; ok && f.covers(name, mode) {
					bits.set(i)
				}
			}
			continue
		}
		for i, n := range nss {
			if f.covers(n.Metadata.Name, mode) {
				bits.set(i)
			}
		}
	}
	return c, nil
}

// coveringFilters is, for namespace i, the numbers of the filters that
// cover it, as a key.
func (c *coverage) coveringFilters(i int) string {
	var b strings.Builder
	for fi, bits := range c.covered {
		if bits.has(i) {
			b.WriteString(strconv.Itoa(fi))
			b.WriteByte(',')
		}
	}
	return b.String()
}

// sortedBackups are the poll's Backups, newest start first, each once,
// as records and with their filter.
type sortedBackups struct {
	raw     []*backup
	records []*toolkit.Backup
	filter  []int
}

// sortBackups converts the Backups and orders them newest start first (a
// stable sort: the API's order among equal starts); a name listed twice
// counts once.
func sortBackups(bs []backup, fs *filters, convert func(*backup) toolkit.Backup) *sortedBackups {
	seen := make(map[string]bool, len(bs))
	s := &sortedBackups{}
	for i := range bs {
		b := &bs[i]
		if seen[b.Metadata.Name] {
			continue
		}
		seen[b.Metadata.Name] = true
		rec := convert(b)
		s.raw = append(s.raw, b)
		s.records = append(s.records, &rec)
		s.filter = append(s.filter, fs.add(&b.Spec))
	}
	sort.Stable(s)
	return s
}

func (s *sortedBackups) Len() int { return len(s.records) }
func (s *sortedBackups) Less(i, j int) bool {
	return s.records[i].Start.After(s.records[j].Start)
}
func (s *sortedBackups) Swap(i, j int) {
	s.raw[i], s.raw[j] = s.raw[j], s.raw[i]
	s.records[i], s.records[j] = s.records[j], s.records[i]
	s.filter[i], s.filter[j] = s.filter[j], s.filter[i]
}

// startedSince is how many of the (newest first) backups started at or
// after t: those that can hold a namespace created at t. A zero t (no
// creation time) admits every backup.
func (s *sortedBackups) startedSince(t time.Time) int {
	if t.IsZero() {
		return len(s.records)
	}
	return sort.Search(len(s.records), func(i int) bool { return s.records[i].Start.Before(t) })
}
