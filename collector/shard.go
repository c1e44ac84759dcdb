package collector

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Shard is this replica's part of the estate, kube-state-metrics style:
// a resource belongs to the shard its stable hash (target name and
// resource ID) falls in. Discovery lists run on every shard; per-resource
// calls and series only on the resource's owner. The zero value (Total 0
// or 1) owns everything.
type Shard struct {
	Index, Total int
}

// Owns reports whether resource id of target belongs to this shard.
func (s Shard) Owns(target, id string) bool {
	if s.Total <= 1 {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte(target))
	h.Write([]byte{0})
	h.Write([]byte(id))
	return h.Sum64()%uint64(s.Total) == uint64(s.Index)
}

// Enabled reports whether the estate is split.
func (s Shard) Enabled() bool { return s.Total > 1 }

// Validate checks the shard against its total.
func (s Shard) Validate() error {
	if s.Total < 0 || s.Index < 0 || (s.Total > 0 && s.Index >= s.Total) || (s.Total == 0 && s.Index > 0) {
		return fmt.Errorf("shard %d of %d: want 0 <= --shard < --total-shards", s.Index, s.Total)
	}
	return nil
}

// podOrdinal is the ordinal of a StatefulSet pod's name ("exporter-2").
var podOrdinal = regexp.MustCompile(`-(\d+)$`)

// ShardFromPod returns the shard index a StatefulSet pod's name gives
// (its ordinal), as kube-state-metrics derives it.
func ShardFromPod(pod string) (int, error) {
	m := podOrdinal.FindStringSubmatch(pod)
	if m == nil {
		return 0, fmt.Errorf("pod name %q does not end in a StatefulSet ordinal", pod)
	}
	return strconv.Atoi(m[1])
}

// NewShardInfo returns backup_exporter_shard_info{shard,total} 1, for the
// shard-mismatch alert; nil when sharding is off.
func NewShardInfo(s Shard) prometheus.Collector {
	if !s.Enabled() {
		return nil
	}
	return infoShard.ConstGauge(1, strconv.Itoa(s.Index), strconv.Itoa(s.Total))
}
