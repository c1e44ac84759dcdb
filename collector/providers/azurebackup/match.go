package azurebackup

import (
	"slices"
	"strings"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// matchRecords pairs each protected item the shard owns with its Backup
// jobs and resource ID, one record per resource; seen holds the IDs (in
// lower case) taken.
func matchRecords(items []protectedItem, jobs []job, owns func(id string) bool) (records []record, seen map[string]bool) {
	byKey := map[string][]*job{}
	for i := range jobs {
		j := &jobs[i]
		k := jobKey(j.Properties.BackupManagementType, j.Properties.EntityFriendlyName)
		byKey[k] = append(byKey[k], j)
	}
	seen = map[string]bool{}
	for i := range items {
		it := &items[i]
		id := it.resourceID()
		if seen[strings.ToLower(id)] || !owns(id) {
			continue
		}
		seen[strings.ToLower(id)] = true
		records = append(records, record{id: id, item: it, jobs: it.matching(byKey[jobKey(it.Properties.BackupManagementType, it.Properties.FriendlyName)])})
	}
	return records, seen
}

// wanted applies the target's workload_types.
func (p *provider) wanted(workload string) bool {
	return len(p.workloads) == 0 || slices.ContainsFunc(p.workloads, func(w string) bool { return strings.EqualFold(w, workload) })
}

// record is a protected item, its resource ID and its Backup jobs in the
// window.
type record struct {
	id   string
	item *protectedItem
	jobs []*job
}

func (r record) identity() (string, string) { return r.id, r.item.label() }

// newestJob is the job with the newest start.
func newestJob(jobs []*job) *job {
	newest := jobs[0]
	for _, j := range jobs[1:] {
		if toolkit.ParseTime(j.Properties.StartTime).After(toolkit.ParseTime(newest.Properties.StartTime)) {
			newest = j
		}
	}
	return newest
}

func jobKey(managementType, friendlyName string) string {
	return strings.ToLower(managementType) + "\x00" + strings.ToLower(friendlyName)
}

// matching keeps the jobs of the item's container (when a job names its
// container: two databases of one name in two VMs are two items).
func (it *protectedItem) matching(jobs []*job) []*job {
	var out []*job
	for _, j := range jobs {
		if j.Properties.ContainerName == "" || it.Properties.ContainerName == "" ||
			strings.EqualFold(j.Properties.ContainerName, it.Properties.ContainerName) {
			out = append(out, j)
		}
	}
	return out
}
