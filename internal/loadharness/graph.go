package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Issue 24's bench: an Azure Backup estate spread over many subscriptions
// (one Recovery Services vault in each), read once with one azure_backup
// target per subscription (source arm) and once with one target over all
// of them (source resource_graph), on the same generated estate.

// graphSubscriptions is how many subscriptions the estate spreads over.
const graphSubscriptions = 200

// graphRun is one mode's cold poll of the estate.
type graphRun struct {
	mode               string
	items              int
	cold               time.Duration
	requests, graphReq int
	series             int
	err                error
}

// graphSub is the i-th subscription of the estate (as the simulator's
// --generate.azure.backup-subscriptions names them).
func graphSub(i int) string {
	if i == 0 {
		return azureSub
	}
	return azureSub[:len(azureSub)-12] + fmt.Sprintf("%012d", i)
}

// graphTargets are the targets of a mode: arm, one per subscription;
// resource_graph, one over all.
func graphTargets(mode string) []string {
	if mode == "resource_graph" {
		return []string{"abgraph"}
	}
	out := make([]string, graphSubscriptions)
	for i := range out {
		out[i] = "ab:" + graphSub(i)
	}
	return out
}

// graphTarget writes the targets graphTargets names.
func graphTarget(t string) string {
	if sub, ok := strings.CutPrefix(t, "ab:"); ok {
		return fmt.Sprintf("  - {name: ab-%s, type: azure_backup, credential: azure, subscription_id: %s, resource_group: demo-rg}\n", sub[len(sub)-4:], sub)
	}
	subs := make([]string, graphSubscriptions)
	for i := range subs {
		subs[i] = graphSub(i)
	}
	return fmt.Sprintf("  - {name: %s, type: azure_backup, credential: azure, source: resource_graph, subscriptions: [%s]}\n", t, strings.Join(subs, ", "))
}

func (h *harness) graphModeRun(items int, mode string) (r graphRun) {
	r.mode, r.items = mode, items
	perVault := max(items/graphSubscriptions, 1)
	args := []string{
		"--generate.azure.backup-vaults", "1",
		"--generate.azure.backup-subscriptions", strconv.Itoa(graphSubscriptions),
		"--generate.azure.backup-items-per-vault", strconv.Itoa(perVault),
		"--generate.azure.backup-job-days", "2",
		"--azure.page-size", strconv.Itoa(armPageSize),
	}
	targets := graphTargets(mode)
	s, x, stop, err := h.start(args, 0, "scrape_timeout: 15m, cache_ttl: 1h, poll_timeout: 15m, max_concurrency: 32", targets...)
	if err != nil {
		r.err = err
		return r
	}
	defer stop()
	first, err := x.scrape(coldLimit, false)
	if err != nil {
		r.err = err
		return r
	}
	r.cold = time.Since(x.started)
	if first.up != first.all || first.all != len(targets) {
		r.err = fmt.Errorf("not measured: %d of %d targets had completed their first poll after %v", first.up, first.all, coldLimit)
		return r
	}
	r.series = first.series
	total, byPath, err := s.stats()
	if err != nil {
		r.err = err
		return r
	}
	r.requests = total
	for p, n := range byPath {
		if strings.Contains(strings.ToLower(p), "microsoft.resourcegraph") {
			r.graphReq += n
		}
	}
	return r
}

func (r graphRun) String() string {
	return fmt.Sprintf("%s: %d protected items over %d subscriptions: err %v, cold poll %s, upstream requests %d (Resource Graph pages %d), series %d",
		r.mode, r.items, graphSubscriptions, r.err, secs(r.cold), r.requests, r.graphReq, r.series)
}
