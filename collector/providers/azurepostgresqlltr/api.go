package azurepostgresqlltr

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// serverResource reads the target's one LTR operation, or lists every LTR
// operation of the server.
func (p *provider) serverResource(ctx context.Context, s pgServer) (toolkit.Resource, error) {
	ops := "/" + url.PathEscape(s.name) + "/ltrBackupOperations"
	if p.backup != "" {
		var op pgLTROperation
		if err := p.arm.Get(ctx, p.base+ops+"/"+url.PathEscape(p.backup), p.apiVersion, &op); err != nil {
			return toolkit.Resource{}, fmt.Errorf("get LTR operation %q of server %q: %w", p.backup, s.name, err)
		}
		if err := op.validate(); err != nil {
			return toolkit.Resource{}, fmt.Errorf("get LTR operation %q of server %q: %w", p.backup, s.name, err)
		}
		return toolkit.Summarize(s.id, s.name, []toolkit.Backup{op.toBackup()}, false), nil
	}
	var backups []toolkit.Backup
	err := p.arm.List(ctx, p.base+ops, p.apiVersion, func(raw json.RawMessage) error {
		var op pgLTROperation
		if err := json.Unmarshal(raw, &op); err != nil {
			return err
		}
		if err := op.validate(); err != nil {
			return err
		}
		backups = append(backups, op.toBackup())
		return nil
	})
	if err != nil {
		return toolkit.Resource{}, fmt.Errorf("list LTR operations of server %q: %w", s.name, err)
	}
	return toolkit.Summarize(s.id, s.name, backups, true), nil
}

// validate checks that an LTR operation names itself and its status.
func (op *pgLTROperation) validate() error {
	return toolkit.Require("name", op.Name, "properties.status", op.Properties.Status)
}

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
