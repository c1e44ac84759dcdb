package velero

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/backup-exporter/backup_exporter/collector/providers/kubernetes"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// The API paths read (docs/providers/velero.md).
const (
	v1Prefix       = "/apis/velero.io/v1/namespaces/"
	v2alpha1Prefix = "/apis/velero.io/v2alpha1/namespaces/"
	namespacesPath = "/api/v1/namespaces"
	pageSize       = 500
)

// meta is the metadata the provider reads of every object (labels only
// of namespaces: a Backup's would cost a map each, by the thousand).
type meta struct {
	Name              string  `json:"name"`
	UID               string  `json:"uid"`
	CreationTimestamp string  `json:"creationTimestamp"`
	DeletionTimestamp *string `json:"deletionTimestamp"`
}

// namespace is a core/v1 Namespace: a resource of the target.
type namespace struct {
	Metadata struct {
		meta
		// Labels say whether Velero excludes the namespace, and are its
		// owners' labels (backup_resource_info, when the target wants
		// them).
		Labels kubernetes.Labels `json:"labels"`
	} `json:"metadata"`
}

// Check implements toolkit.Checked.
func (n *namespace) Check() error { return toolkit.Require("metadata.name", n.Metadata.Name) }

// labelSelector is a metav1.LabelSelector; only whether it selects
// anything matters here.
type labelSelector struct {
	MatchLabels      map[string]string `json:"matchLabels"`
	MatchExpressions []any             `json:"matchExpressions"`
}

// empty reports whether the selector selects every object (Velero's
// LabelSelectorAsSelector of an empty selector is labels.Everything).
func (s *labelSelector) empty() bool {
	return s == nil || (len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0)
}

// backupSpec is the namespace filter of a BackupSpec (a Backup's spec, a
// Schedule's spec.template) and where the backup is stored.
type backupSpec struct {
	IncludedNamespaces []string         `json:"includedNamespaces"`
	ExcludedNamespaces []string         `json:"excludedNamespaces"`
	LabelSelector      *labelSelector   `json:"labelSelector"`
	OrLabelSelectors   []*labelSelector `json:"orLabelSelectors"`
	StorageLocation    string           `json:"storageLocation"`
}

// selective reports whether the spec's label selectors pick individual
// objects: a non-empty labelSelector, or orLabelSelectors none of which
// is empty (an empty one ORed in selects everything).
func (s *backupSpec) selective() bool {
	if !s.LabelSelector.empty() {
		return true
	}
	if len(s.OrLabelSelectors) == 0 {
		return false
	}
	for _, o := range s.OrLabelSelectors {
		if o.empty() {
			return false
		}
	}
	return true
}

// backup is a velero.io/v1 Backup.
type backup struct {
	Metadata meta       `json:"metadata"`
	Spec     backupSpec `json:"spec"`
	Status   struct {
		Phase               string   `json:"phase"`
		StartTimestamp      string   `json:"startTimestamp"`
		CompletionTimestamp string   `json:"completionTimestamp"`
		Expiration          string   `json:"expiration"`
		ValidationErrors    []string `json:"validationErrors"`
		FailureReason       string   `json:"failureReason"`
		Warnings            int64    `json:"warnings"`
		Errors              int64    `json:"errors"`
		Progress            *struct {
			TotalItems    int64 `json:"totalItems"`
			ItemsBackedUp int64 `json:"itemsBackedUp"`
		} `json:"progress"`
		HookStatus *struct {
			HooksAttempted int64 `json:"hooksAttempted"`
			HooksFailed    int64 `json:"hooksFailed"`
		} `json:"hookStatus"`
	} `json:"status"`
}

// Check implements toolkit.Checked.
func (b *backup) Check() error { return toolkit.Require("metadata.name", b.Metadata.Name) }

// backupSchedule is a velero.io/v1 Schedule.
type backupSchedule struct {
	Metadata meta `json:"metadata"`
	Spec     struct {
		Schedule string     `json:"schedule"`
		Paused   bool       `json:"paused"`
		Template backupSpec `json:"template"`
	} `json:"spec"`
	Status struct {
		Phase string `json:"phase"`
	} `json:"status"`
}

// Check implements toolkit.Checked: spec.schedule is required by the CRD.
func (s *backupSchedule) Check() error {
	return toolkit.Require("metadata.name", s.Metadata.Name, "spec.schedule", s.Spec.Schedule)
}

// storageLocation is a velero.io/v1 BackupStorageLocation.
type storageLocation struct {
	Metadata meta `json:"metadata"`
	Spec     struct {
		Default bool `json:"default"`
	} `json:"spec"`
	Status struct {
		Phase   string `json:"phase"`
		Message string `json:"message"`
	} `json:"status"`
}

// Check implements toolkit.Checked.
func (l *storageLocation) Check() error { return toolkit.Require("metadata.name", l.Metadata.Name) }

// progress is shared.DataMoveOperationProgress.
type progress struct {
	TotalBytes int64 `json:"totalBytes"`
	BytesDone  int64 `json:"bytesDone"`
}

// podVolumeBackup is a velero.io/v1 PodVolumeBackup: one pod volume of a
// backup, copied by the file-system uploader.
type podVolumeBackup struct {
	Metadata meta `json:"metadata"`
	Spec     struct {
		Pod struct {
			Namespace string `json:"namespace"`
		} `json:"pod"`
	} `json:"spec"`
	Status struct {
		Progress progress `json:"progress"`
	} `json:"status"`
}

// Check implements toolkit.Checked: spec.pod is required by the CRD, and
// its namespace is what the bytes are counted by.
func (v *podVolumeBackup) Check() error {
	return toolkit.Require("metadata.name", v.Metadata.Name, "spec.pod.namespace", v.Spec.Pod.Namespace)
}

// dataUpload is a velero.io/v2alpha1 DataUpload: one PVC snapshot of a
// backup, moved by the data mover.
type dataUpload struct {
	Metadata meta `json:"metadata"`
	Spec     struct {
		SourceNamespace string `json:"sourceNamespace"`
	} `json:"spec"`
	Status struct {
		Progress progress `json:"progress"`
	} `json:"status"`
}

// Check implements toolkit.Checked: spec.sourceNamespace is required by
// the CRD.
func (d *dataUpload) Check() error {
	return toolkit.Require("metadata.name", d.Metadata.Name, "spec.sourceNamespace", d.Spec.SourceNamespace)
}

// list reads one velero.io resource of Velero's namespace.
func list[T any, PT interface {
	*T
	toolkit.Checked
}](ctx context.Context, p *provider, prefix, resource, selector string) ([]T, error) {
	return kubernetes.ListOf[T, PT](ctx, p.k8s, resource, prefix+p.namespace+"/"+resource,
		kubernetes.ListOptions{Limit: pageSize, LabelSelector: selector})
}

// backupNameLabel is the value of the velero.io/backup-name label Velero
// sets on a backup's PodVolumeBackups and DataUploads: the name itself
// when it is at most 63 characters, else its first 57 and 6 hex digits
// of its SHA-256 (pkg/label/label.go, GetValidName).
func backupNameLabel(name string) string {
	if len(name) <= 63 {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:57] + hex.EncodeToString(sum[:])[:6]
}
