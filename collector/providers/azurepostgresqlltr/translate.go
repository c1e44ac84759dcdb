package azurepostgresqlltr

import (
	"strings"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

func (op *pgLTROperation) toBackup() toolkit.Backup {
	p := op.Properties
	b := toolkit.Backup{
		// The operation's name: its id, in the official examples, is
		// the server's, the same for every operation.
		ID:          strings.ToLower(op.Name),
		Name:        p.BackupName,
		RawStatus:   p.Status,
		State:       toolkit.Normalise(states, p.Status),
		Start:       toolkit.ParseTime(p.StartTime),
		Size:        p.DatasourceSizeInBytes,
		Transferred: p.DataTransferredInBytes,
	}
	if b.Name == "" {
		b.Name = azure.LastSegment(op.Name)
	}
	if p.PercentComplete != nil {
		b.Progress = toolkit.Float(*p.PercentComplete / 100)
	}
	if b.Finished() {
		// endTime of a running operation is a forecast, not an end.
		b.End = toolkit.ParseTime(p.EndTime)
	}
	if p.ErrorCode != "" || p.ErrorMessage != "" {
		b.Error = &toolkit.ErrorInfo{Code: p.ErrorCode, Message: p.ErrorMessage}
	}
	return b
}
