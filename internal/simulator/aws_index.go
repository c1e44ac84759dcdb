package simulator

import (
	"sort"
	"strconv"
	"sync"
	"time"
)

// The indexes of the AWS Backup lists. The compiled data (awsData) is
// immutable and replaced whole by a change, so each list (an account's
// jobs, a vault's recovery points) carries its own index, built as it is
// read under its own lock: the items of each value of a filter, and the
// answers of the filters already asked. A page is then a lookup, two
// binary searches for the creation-time window (the lists are newest
// first) and the page's own items, instead of a pass over the list.

type awsIndex struct {
	mu sync.Mutex
	// byField are the items of each value of a field, in list order;
	// each built on first use.
	byField []map[string][]int
	lists   filterCache
}

// awsField is a list's filter by equality: the query parameter and the
// item's value.
type awsField[T any] struct {
	param string
	get   func(T) string
}

// awsMatch returns the indexes, in list order, of the items whose fields
// have the wanted values (want[f], "" for any) and that keep keeps (nil:
// all). key names keep (the other filters) in the cache.
func awsMatch[T any](x *awsIndex, items []T, fields []awsField[T], want []string, key string, keep func(T) bool) []int {
	key = strconv.Quote(key)
	for _, w := range want {
		key += strconv.Quote(w)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.lists.get(key, func() []int {
		if x.byField == nil {
			x.byField = make([]map[string][]int, len(fields))
		}
		// The items of the most selective field, checked against the
		// others.
		var cand []int
		all := true
		for f, w := range want {
			if w == "" {
				continue
			}
			if x.byField[f] == nil {
				by := map[string][]int{}
				for i, it := range items {
					v := fields[f].get(it)
					by[v] = append(by[v], i)
				}
				x.byField[f] = by
			}
			if c := x.byField[f][w]; all || len(c) < len(cand) {
				cand, all = c, false
			}
		}
		if all {
			cand = make([]int, len(items))
			for i := range cand {
				cand[i] = i
			}
		}
		out := []int{}
	items:
		for _, i := range cand {
			for f, w := range want {
				if w != "" && fields[f].get(items[i]) != w {
					continue items
				}
			}
			if keep == nil || keep(items[i]) {
				out = append(out, i)
			}
		}
		return out
	})
}

// awsTimeKey names a filter time in a cache key.
func awsTimeKey(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixNano(), 10)
}

// awsWindow cuts idx, whose items' creation times (created) are newest
// first, to those created after after and before before (zero: no
// bound) and not before since (zero: no bound).
func awsWindow(idx []int, created func(i int) time.Time, after, before, since time.Time) []int {
	if !before.IsZero() {
		// The first created before before.
		idx = idx[sort.Search(len(idx), func(k int) bool { return created(idx[k]).Before(before) }):]
	}
	if !after.IsZero() {
		// Up to the first created at or before after.
		idx = idx[:sort.Search(len(idx), func(k int) bool { return !created(idx[k]).After(after) })]
	}
	if !since.IsZero() {
		// Up to the first created before since.
		idx = idx[:sort.Search(len(idx), func(k int) bool { return created(idx[k]).Before(since) })]
	}
	return idx
}

var awsJobFields = []awsField[*awsJobItem]{
	{"resourceArn", func(j *awsJobItem) string { return j.json.ResourceArn }},
	{"state", func(j *awsJobItem) string { return j.json.State }},
	{"backupVaultName", func(j *awsJobItem) string { return j.json.BackupVaultName }},
	{"resourceType", func(j *awsJobItem) string { return j.json.ResourceType }},
	{"parentJobId", func(j *awsJobItem) string { return j.json.ParentJobID }},
	{"accountId", func(j *awsJobItem) string { return j.json.AccountID }},
	{"messageCategory", func(j *awsJobItem) string { return j.json.MessageCategory }},
}

var awsPointFields = []awsField[*awsPointItem]{
	{"resourceArn", func(p *awsPointItem) string { return p.json.ResourceArn }},
	{"resourceType", func(p *awsPointItem) string { return p.json.ResourceType }},
	{"backupPlanId", func(p *awsPointItem) string { return p.planID }},
	{"parentRecoveryPointArn", func(p *awsPointItem) string { return p.json.ParentRecoveryPointArn }},
}
