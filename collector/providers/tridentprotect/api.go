package tridentprotect

import (
	"context"
	"encoding/json"
	"fmt"

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

type application struct {
	object
}

type backup struct {
	object
	Spec struct {
		ApplicationRef string `json:"applicationRef"`
	} `json:"spec"`
	Status map[string]json.RawMessage `json:"status"`
}

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

// meta gives the metadata of every resource type (promoted through the
// embedded object).
func (o *object) meta() *object { return o }

// list reads one resource of every configured namespace (or of the
// cluster), decoding each item and checking that it names itself.
func list[T any, PT interface {
	*T
	meta() *object
}](ctx context.Context, p *provider, resource string) ([]T, error) {
	paths := []string{apiPrefix + "/" + resource}
	if len(p.namespaces) > 0 {
		paths = paths[:0]
		for _, ns := range p.namespaces {
			paths = append(paths, apiPrefix+"/namespaces/"+ns+"/"+resource)
		}
	}
	var out []T
	for _, path := range paths {
		items, err := p.k8s.List(ctx, path, pageSize)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", resource, p.k8s.Describe(), err)
		}
		for _, raw := range items {
			var v T
			if err := json.Unmarshal(raw, &v); err != nil {
				return nil, fmt.Errorf("%s item %d: decode: %w", resource, len(out), err)
			}
			m := PT(&v).meta().Metadata
			if err := toolkit.Require("metadata.name", m.Name, "metadata.namespace", m.Namespace); err != nil {
				return nil, fmt.Errorf("%s item %d: %w", resource, len(out), err)
			}
			out = append(out, v)
		}
	}
	return out, nil
}
