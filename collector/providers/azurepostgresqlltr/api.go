package azurepostgresqlltr

import (
	"context"
	"fmt"
	"net/url"

	json "github.com/segmentio/encoding/json"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// pgServer is a flexible server of the resource group's list.
type pgServer struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Tags are the server's (a tracked resource's string map), decoded
	// only for a target that wants them.
	Tags json.RawMessage `json:"tags"`
}

// Check implements toolkit.Checked. Nothing is required: the provider
// never refused a server for a missing field.
func (*pgServer) Check() error { return nil }

// identity is the server's resource ID and short name.
func (s pgServer) identity() (id, name string) { return s.ID, azure.LastSegment(s.Name) }

// serverResource is the server's record with its tags (when the target
// wants them).
func (p *provider) serverResource(ctx context.Context, s pgServer) (toolkit.Resource, error) {
	r, err := p.backups(ctx, s)
	if err == nil && p.wantTags {
		r.Tags = azure.Tags(s.Tags)
	}
	return r, err
}

// backups reads the target's one LTR operation, or lists every LTR
// operation of the server.
func (p *provider) backups(ctx context.Context, s pgServer) (toolkit.Resource, error) {
	id, name := s.identity()
	ops := "/" + url.PathEscape(name) + "/ltrBackupOperations"
	if p.backup != "" {
		var op pgLTROperation
		if err := p.arm.Get(ctx, p.base+ops+"/"+url.PathEscape(p.backup), p.apiVersion, &op); err != nil {
			return toolkit.Resource{}, fmt.Errorf("get LTR operation %q of server %q: %w", p.backup, name, err)
		}
		if err := op.Check(); err != nil {
			return toolkit.Resource{}, fmt.Errorf("get LTR operation %q of server %q: %w", p.backup, name, err)
		}
		return toolkit.Summarize(id, name, []toolkit.Backup{op.toBackup()}, false), nil
	}
	list, err := azure.List[pgLTROperation](ctx, p.arm, p.base+ops, p.apiVersion, nil)
	if err != nil {
		return toolkit.Resource{}, fmt.Errorf("list LTR operations of server %q: %w", name, err)
	}
	backups := make([]toolkit.Backup, 0, len(list))
	for i := range list {
		backups = append(backups, list[i].toBackup())
	}
	return toolkit.Summarize(id, name, backups, true), nil
}

// pgLTROperation is an LTR backup operation (LtrServerBackupOperation).
type pgLTROperation struct {
	Name       string `json:"name"`
	Properties struct {
		BackupName             string   `json:"backupName"`
		DatasourceSizeInBytes  *float64 `json:"datasourceSizeInBytes"`
		DataTransferredInBytes *float64 `json:"dataTransferredInBytes"`
		Status                 string   `json:"status"`
		PercentComplete        *float64 `json:"percentComplete"`
		StartTime              string   `json:"startTime"`
		EndTime                string   `json:"endTime"`
		ErrorCode              string   `json:"errorCode"`
		ErrorMessage           string   `json:"errorMessage"`
	} `json:"properties"`
}

// Check implements toolkit.Checked: an LTR operation names itself and
// its status.
func (op *pgLTROperation) Check() error {
	return toolkit.Require("name", op.Name, "properties.status", op.Properties.Status)
}
