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

// object is the metadata every resource has.
type object struct {
	Metadata struct {
		Name              string  `json:"name"`
		Namespace         string  `json:"namespace"`
		CreationTimestamp string  `json:"creationTimestamp"`
		DeletionTimestamp *string `json:"deletionTimestamp"`
	} `json:"metadata"`
}

// application is an Application: a protected resource.
type application struct {
	object
}

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
