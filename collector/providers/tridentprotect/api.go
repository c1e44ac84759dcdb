package tridentprotect

import (
	"context"

	json "github.com/segmentio/encoding/json"

	"github.com/backup-exporter/backup_exporter/collector/providers/kubernetes"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// apiPrefix is the API group and version of Trident protect's resources.
const apiPrefix = "/apis/protect.trident.netapp.io/v1"

// pageSize is the limit of each list request.
const pageSize = 500

// meta is the metadata every resource has.
type meta struct {
	Name              string  `json:"name"`
	Namespace         string  `json:"namespace"`
	CreationTimestamp string  `json:"creationTimestamp"`
	DeletionTimestamp *string `json:"deletionTimestamp"`
}

// object is a resource of which only its metadata is common.
type object struct {
	Metadata meta `json:"metadata"`
}

// application is an Application: a protected resource, with its labels
// (its owners, for backup_resource_info).
type application struct {
	Metadata struct {
		meta
		// Labels are read by labels (malformed ones are none).
		Labels json.RawMessage `json:"labels"`
	} `json:"metadata"`
}

// labels are the Application's metadata.labels; none when they are not
// a map of strings (no field a record needs).
func (a *application) labels() map[string]string { return kubernetes.OwnerLabels(a.Metadata.Labels) }

// Check implements toolkit.Checked, as for every resource.
func (a *application) Check() error { return (&object{Metadata: a.Metadata.meta}).Check() }

// backup is a Backup of an Application (spec.applicationRef). Its status
// stays raw: the hook run results are several fields (pre/post snapshot
// and backup) that translate.go finds by their suffix.
type backup struct {
	object
	Spec struct {
		ApplicationRef string `json:"applicationRef"`
	} `json:"spec"`
	Status map[string]json.RawMessage `json:"status"`
}

// schedule is a Schedule of an Application: how often a backup is due.
type schedule struct {
	object
	Spec struct {
		ApplicationRef  string          `json:"applicationRef"`
		Granularity     string          `json:"granularity"`
		RecurrenceRule  string          `json:"recurrenceRule"`
		BackupRetention json.RawMessage `json:"backupRetention"`
		Enabled         *bool           `json:"enabled"`
	} `json:"spec"`
}

// Check implements toolkit.Checked for every resource type (promoted
// through the embedded object): an item that does not name itself cannot
// be matched to its Application.
func (o *object) Check() error {
	return toolkit.Require("metadata.name", o.Metadata.Name, "metadata.namespace", o.Metadata.Namespace)
}

// list reads one resource of every configured namespace (or of the
// cluster), each item decoded as a T and checked.
func list[T any, PT interface {
	*T
	toolkit.Checked
}](ctx context.Context, p *provider, resource string) ([]T, error) {
	return kubernetes.ListIn[T, PT](ctx, p.k8s, apiPrefix, resource, p.namespaces, kubernetes.ListOptions{Limit: pageSize})
}
