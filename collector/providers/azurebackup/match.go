package azurebackup

import (
	"strings"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// matchRecords pairs each protected item with its Backup jobs and
// resource ID.
func matchRecords(items []protectedItem, jobs []job) []record {
	byKey := map[string][]*job{}
	for i := range jobs {
		j := &jobs[i]
		k := jobKey(j.Properties.BackupManagementType, j.Properties.EntityFriendlyName)
		byKey[k] = append(byKey[k], j)
	}
	records := make([]record, len(items))
	for i := range items {
		it := &items[i]
		records[i] = record{id: it.resourceID(), item: it, jobs: it.matching(byKey[jobKey(it.Properties.BackupManagementType, it.Properties.FriendlyName)])}
	}
	return records
}

// record is a protected item, its resource ID and its Backup jobs in the
// window.
type record struct {
	id   string
	item *protectedItem
	jobs []*job
}

// identity is the record's resource ID and name.
func (r record) identity() (id, name string) { return r.id, r.item.label() }

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
