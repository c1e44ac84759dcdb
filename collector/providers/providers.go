// Package providers is the registry of provider kinds: adding a provider
// is one package under this folder and one line here.
package providers

import (
	"github.com/backup-exporter/backup_exporter/collector/providers/astra"
	"github.com/backup-exporter/backup_exporter/collector/providers/awsbackup"
	"github.com/backup-exporter/backup_exporter/collector/providers/azurebackup"
	"github.com/backup-exporter/backup_exporter/collector/providers/azuredataprotection"
	"github.com/backup-exporter/backup_exporter/collector/providers/azurenetappfiles"
	"github.com/backup-exporter/backup_exporter/collector/providers/azurepostgresqlltr"
	"github.com/backup-exporter/backup_exporter/collector/providers/cloudnativepg"
	"github.com/backup-exporter/backup_exporter/collector/providers/huaweicbr"
	"github.com/backup-exporter/backup_exporter/collector/providers/longhorn"
	"github.com/backup-exporter/backup_exporter/collector/providers/tridentprotect"
	"github.com/backup-exporter/backup_exporter/collector/providers/velero"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// All returns every provider kind, in the order error messages list them.
func All() toolkit.Registry {
	return toolkit.Registry{
		azurenetappfiles.Type,
		azurepostgresqlltr.Type,
		azurebackup.Type,
		azuredataprotection.Type,
		huaweicbr.Type,
		astra.Type,
		awsbackup.Type,
		tridentprotect.Type,
		velero.Type,
		cloudnativepg.Type,
		longhorn.Type,
	}
}
