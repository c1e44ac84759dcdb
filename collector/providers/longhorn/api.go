package longhorn

import (
	"context"

	"github.com/backup-exporter/backup_exporter/collector/providers/kubernetes"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// apiPrefix is the API group and version of Longhorn's resources.
const apiPrefix = "/apis/longhorn.io/v1beta2"

// pageSize is the limit of each list request.
const pageSize = 500

// The resources read (their plural names; RBAC grants the same).
const (
	resVolumes       = "volumes"
	resBackups       = "backups"
	resBackupVolumes = "backupvolumes"
	resRecurringJobs = "recurringjobs"
	resBackupTargets = "backuptargets"
)

// meta is the metadata every resource has. Longhorn's status fields are
// mostly strings without omitempty: absent and "" both mean no value.
type meta struct {
	Name              string  `json:"name"`
	CreationTimestamp string  `json:"creationTimestamp"`
	DeletionTimestamp *string `json:"deletionTimestamp"`
}

// check says whether an item names itself: one without a name cannot be
// matched to anything.
func (m *meta) check() error { return toolkit.Require("metadata.name", m.Name) }

// object is an item whose labels are not read.
type object struct {
	Metadata meta `json:"metadata"`
}

// Check implements toolkit.Checked for the types that embed it.
func (o *object) Check() error { return o.Metadata.check() }

// volumeLabel is the metadata of Backups and BackupVolumes, with the one
// label read of them (not
// their whole label map: the JSON decoder gives every map room for 64
// entries, which for tens of thousands of Backups is most of a poll's
// garbage).
type volumeLabel struct {
	meta
	Labels struct {
		Volume string `json:"backup-volume"`
	} `json:"labels"`
}

// volume is a Volume: a protected resource.
type volume struct {
	Metadata struct {
		meta
		// Labels say which recurring jobs apply, and are the owners'
		// labels (backup_resource_info, when the target wants them).
		Labels kubernetes.Labels `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		// BackupTargetName is the target the volume is backed up to
		// ("" is "default").
		BackupTargetName string `json:"backupTargetName"`
	} `json:"spec"`
	Status struct {
		KubernetesStatus struct {
			Namespace string `json:"namespace"`
			PVCName   string `json:"pvcName"`
			// LastPVCRefAt set means the PVC above is history (deleted).
			LastPVCRefAt string `json:"lastPVCRefAt"`
		} `json:"kubernetesStatus"`
	} `json:"status"`
}

// backup is a Backup of a Volume (label backup-volume, else
// status.volumeName).
type backup struct {
	Metadata volumeLabel `json:"metadata"`
	Status   struct {
		State string `json:"state"`
		// Progress is a percentage (an int upstream; read as a number).
		Progress          *float64          `json:"progress"`
		Error             string            `json:"error"`
		SnapshotCreatedAt string            `json:"snapshotCreatedAt"`
		BackupCreatedAt   string            `json:"backupCreatedAt"`
		Size              string            `json:"size"`
		Messages          map[string]string `json:"messages"`
		VolumeName        string            `json:"volumeName"`
		// NewlyUploadDataSize is the JSON name of Go's NewlyUploadedDataSize.
		NewlyUploadDataSize string `json:"newlyUploadDataSize"`
		ReUploadedDataSize  string `json:"reUploadedDataSize"`
	} `json:"status"`
}

// backupVolume is a BackupVolume: a volume's backups on one backup
// target. Its name is "<volume>-<hash>", not the volume's.
type backupVolume struct {
	Metadata volumeLabel `json:"metadata"`
	Spec     struct {
		VolumeName string `json:"volumeName"`
	} `json:"spec"`
	Status struct {
		// LastBackupAt is the snapshot time of the newest backup.
		LastBackupAt string `json:"lastBackupAt"`
	} `json:"status"`
}

// recurringJob is a RecurringJob: a task (backup, snapshot, ...) run on
// a cron schedule for the volumes that carry its label or one of its
// groups'.
type recurringJob struct {
	object
	Spec struct {
		Groups []string `json:"groups"`
		Task   string   `json:"task"`
		Cron   string   `json:"cron"`
	} `json:"spec"`
}

// backupTarget is a BackupTarget.
type backupTarget struct {
	object
	Status struct {
		// Available is false until the target's first good sync; nil
		// when the answer does not say.
		Available  *bool `json:"available"`
		Conditions []struct {
			Type    string `json:"type"`
			Status  string `json:"status"`
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"conditions"`
	} `json:"status"`
}

// Check implements toolkit.Checked.
func (v *volume) Check() error { return v.Metadata.check() }

// Check implements toolkit.Checked.
func (b *backup) Check() error { return b.Metadata.check() }

// Check implements toolkit.Checked.
func (bv *backupVolume) Check() error { return bv.Metadata.check() }

// list reads one resource of the target's namespace, each item decoded
// as a T and checked.
func list[T any, PT interface {
	*T
	toolkit.Checked
}](ctx context.Context, p *provider, resource string) ([]T, error) {
	path := apiPrefix + "/namespaces/" + p.namespace + "/" + resource
	return kubernetes.ListOf[T, PT](ctx, p.k8s, resource, path, kubernetes.ListOptions{Limit: pageSize})
}
