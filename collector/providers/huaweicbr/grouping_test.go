package huaweicbr

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// referenceRecords is the grouping as it was when the whole list was
// decoded before any record was made (the list held, then grouped): the
// per-page grouping must give exactly its records and drops.
func referenceRecords(ctx context.Context, backups []huaweiBackup, vaults map[string]map[string]string) []toolkit.Resource {
	childErrors := map[string][]string{}
	var top, children []*huaweiBackup
	for i := range backups {
		b := &backups[i]
		if b.ParentID != nil && *b.ParentID != "" {
			children = append(children, b)
			if b.Status == "error" {
				childErrors[*b.ParentID] = append(childErrors[*b.ParentID], b.childName())
			}
			continue
		}
		top = append(top, b)
	}
	var order []string
	byResource := map[string][]*huaweiBackup{}
	for _, b := range top {
		key := b.resourceKey()
		if _, ok := byResource[key]; !ok {
			order = append(order, key)
		}
		byResource[key] = append(byResource[key], b)
	}
	rs := make([]toolkit.Resource, 0, len(order))
	for _, key := range order {
		group := byResource[key]
		converted := make([]toolkit.Backup, len(group))
		var name string
		var newest time.Time
		for i, b := range group {
			converted[i] = referenceToBackup(b, childErrors)
			if b.ResourceName == "" {
				continue
			}
			if t := toolkit.ParseTime(huaweiStr(b.CreatedAt)); name == "" || t.After(newest) {
				name, newest = b.ResourceName, t
			}
		}
		if name == "" {
			name = group[0].resourceKey()
		}
		r := toolkit.Summarize(key, name, converted, true)
		last := group[0]
		at := toolkit.ParseTime(huaweiStr(last.CreatedAt))
		for _, b := range group[1:] {
			if t := toolkit.ParseTime(huaweiStr(b.CreatedAt)); t.After(at) {
				last, at = b, t
			}
		}
		r.Tags = toolkit.Tags{Kind: toolkit.VaultTags, Values: vaults[last.VaultID]}
		rs = append(rs, r)
	}
	seen := map[string]bool{}
	for i := range rs {
		seen[rs[i].ID] = true
	}
	for _, c := range children {
		if key := c.resourceKey(); !seen[key] {
			seen[key] = true
			toolkit.Drop(ctx, key, c.resourceLabel(), toolkit.DropChild)
		}
	}
	return rs
}

// referenceToBackup is toBackup as it was: the children listed on their
// own in error first, then the nested ones not named yet.
func referenceToBackup(b *huaweiBackup, childErrors map[string][]string) toolkit.Backup {
	var failed []string
	failed = append(failed, childErrors[b.ID]...)
	for i := range b.Children {
		if n := b.Children[i].childName(); b.Children[i].Status == "error" && !containsString(failed, n) {
			failed = append(failed, n)
		}
	}
	l := b.listed()
	out := l.Backup
	out.Degraded, out.Reason = false, ""
	degrade(&out, failed)
	return out
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestGroupingMatchesTheWholeListGrouping: on random lists (children
// listed on their own before and after their parents, in error or not,
// nested children in error, repeats, renamed resources, backups without
// resource_id or resource_name, equal and missing creation times,
// backups of several vaults, some with tags) the
// grouping made page by page gives the same records, in the same order,
// (names, vault tags of the newest backup) and the same child drops as
// grouping the whole list at the end.
func TestGroupingMatchesTheWholeListGrouping(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 2))
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	// v3 has no tags: its resources have none.
	vaults := map[string]map[string]string{"v1": {"owner": "a"}, "v2": {"owner": "b", "env": "prod"}}
	times := []string{"", "2026-11-23T01:00:00", "2026-11-24T01:00:00", "2026-11-24T01:00:00.5", "2026-11-25T01:00:00Z"}
	for round := range 500 {
		n := 1 + rng.IntN(30)
		var list []huaweiBackup
		for i := range n {
			b := huaweiBackup{
				ID:           fmt.Sprintf("b%d", rng.IntN(n+3)),
				Name:         pick("", "autobk", fmt.Sprintf("n%d", i)),
				Status:       pick("available", "error", "protecting", "restoring", "deleting"),
				ResourceID:   pick("", "r1", "r2", "r3", "disk-a", "disk-b"),
				ResourceName: pick("", "ecs-one", "ecs-two", "disk"),
				VaultID:      pick("", "v1", "v2", "v3"),
			}
			if c := pick(times...); c != "" {
				b.CreatedAt = &c
			}
			if rng.IntN(3) == 0 {
				p := fmt.Sprintf("b%d", rng.IntN(n+3))
				b.ParentID = &p
			}
			for range rng.IntN(3) {
				b.Children = append(b.Children, huaweiBackup{ID: fmt.Sprintf("c%d", rng.IntN(5)),
					Status: pick("available", "error"), ResourceName: pick("", "sys-disk", "data-disk")})
			}
			list = append(list, b)
		}

		var wantDrops, gotDrops []toolkit.Dropped
		want := referenceRecords(toolkit.WithPoll(context.Background(), toolkit.Poll{Dropped: func(d toolkit.Dropped) { wantDrops = append(wantDrops, d) }}), list, vaults)
		g := newGrouping()
		for _, b := range list {
			g.add(b)
		}
		got := g.records(vaults)
		g.dropChildOnly(toolkit.WithPoll(context.Background(), toolkit.Poll{Dropped: func(d toolkit.Dropped) { gotDrops = append(gotDrops, d) }}), got)
		if len(want) == 0 {
			want = []toolkit.Resource{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: records\n%+v\nwant\n%+v", round, got, want)
		}
		if !reflect.DeepEqual(gotDrops, wantDrops) {
			t.Fatalf("round %d: drops %+v, want %+v", round, gotDrops, wantDrops)
		}
	}
}
