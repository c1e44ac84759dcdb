package simulator

import (
	"sort"
	"strconv"
)

// The index of the CBR data: per project, the backups by ID (children
// too) and the top-level backups by the value of each list filter, and
// the answers of the list's queries (filters and sort) already asked. It
// is dropped by every change (s.hwIndex = nil) and rebuilt as it is read,
// so that a page of the backup list costs its own backups (plus a lookup)
// instead of a filter and a sort of the project's backups.

type huaweiIndex struct {
	projects map[*HuaweiProject]*huaweiProjectIndex
}

type huaweiProjectIndex struct {
	// byID is the first backup of each ID, in the order of a depth-first
	// search (top-level backups and their children); nil until read.
	byID map[string]huaweiFound
	// byField are the top-level backups of each value of a list filter,
	// in the project's order, keyed by filter; each built on first use.
	byField map[string]map[string][]int
	// lists are the answers (matching backups, sorted) of the queries.
	lists filterCache
}

type huaweiFound struct{ b, parent *HuaweiBackup }

// huaweiListFilters are the backup list's filters, each matching the
// backups whose value is the query parameter's.
var huaweiListFilters = []struct {
	name string
	get  func(*HuaweiBackup) string
}{
	{"vault_id", func(b *HuaweiBackup) string { return b.VaultID }},
	{"resource_id", func(b *HuaweiBackup) string { return b.ResourceID }},
	{"resource_type", func(b *HuaweiBackup) string { return firstNonEmpty(b.ResourceType, huaweiResourceServer) }},
	{"status", func(b *HuaweiBackup) string { return firstNonEmpty(b.Status, "available") }},
	{"image_type", func(b *HuaweiBackup) string { return firstNonEmpty(b.ImageType, "backup") }},
	{"name", func(b *HuaweiBackup) string { return b.Name }},
}

// huaweiChanged drops the index after a change; the caller holds s.mu.
func (s *Server) huaweiChanged() { s.hwIndex = nil }

// huaweiIndexOf returns the index of project p; the caller holds s.mu.
func (s *Server) huaweiIndexOf(p *HuaweiProject) *huaweiProjectIndex {
	if s.hwIndex == nil {
		s.hwIndex = &huaweiIndex{projects: map[*HuaweiProject]*huaweiProjectIndex{}}
	}
	px := s.hwIndex.projects[p]
	if px == nil {
		px = &huaweiProjectIndex{byField: map[string]map[string][]int{}}
		s.hwIndex.projects[p] = px
	}
	return px
}

// huaweiFind finds a backup of p by ID, as findHuaweiBackup.
func (s *Server) huaweiFind(p *HuaweiProject, id string) (b, parent *HuaweiBackup) {
	px := s.huaweiIndexOf(p)
	if px.byID == nil {
		px.byID = map[string]huaweiFound{}
		var walk func(bs []HuaweiBackup, parent *HuaweiBackup)
		walk = func(bs []HuaweiBackup, parent *HuaweiBackup) {
			for i := range bs {
				addFirst(px.byID, bs[i].ID, huaweiFound{&bs[i], parent})
				walk(bs[i].Children, &bs[i])
			}
		}
		walk(p.Backups, nil)
	}
	f := px.byID[id]
	return f.b, f.parent
}

// huaweiQuery answers a backup list query of p: the indexes of the
// top-level backups whose values are those of filters (by name; "" is no
// filter), sorted by keys (stable: in the project's order otherwise).
// sortParam names keys in the cache.
func (s *Server) huaweiQuery(p *HuaweiProject, filters map[string]string, sortParam string, keys []huaweiSortKey) []int {
	px := s.huaweiIndexOf(p)
	key := strconv.Quote(sortParam)
	for _, f := range huaweiListFilters {
		key += strconv.Quote(filters[f.name])
	}
	return px.lists.get(key, func() []int {
		// The backups of the most selective filter, in order, checked
		// against the others.
		var cand []int
		all := true
		for _, f := range huaweiListFilters {
			v := filters[f.name]
			if v == "" {
				continue
			}
			by := px.byField[f.name]
			if by == nil {
				by = map[string][]int{}
				for i := range p.Backups {
					k := f.get(&p.Backups[i])
					by[k] = append(by[k], i)
				}
				px.byField[f.name] = by
			}
			if all || len(by[v]) < len(cand) {
				cand, all = by[v], false
			}
		}
		var matched []int
		if all {
			matched = make([]int, len(p.Backups))
			for i := range matched {
				matched[i] = i
			}
		} else {
		backups:
			for _, i := range cand {
				for _, f := range huaweiListFilters {
					if v := filters[f.name]; v != "" && f.get(&p.Backups[i]) != v {
						continue backups
					}
				}
				matched = append(matched, i)
			}
		}
		sort.SliceStable(matched, func(i, j int) bool {
			for _, k := range keys {
				a, b := k.get(&p.Backups[matched[i]]), k.get(&p.Backups[matched[j]])
				if a != b {
					return (a < b) != k.desc
				}
			}
			return false
		})
		return matched
	})
}
