package azurebackup

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	json "github.com/segmentio/encoding/json"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// jobTimeLayout is the form of the startTime and endTime of a backupJobs
// $filter in the API document's examples ('2016-01-01 00:00:00 AM'), UTC.
const jobTimeLayout = "2006-01-02 03:04:05 PM"

// vaultLists are what one vault lists: its protected items, its Backup
// jobs of the window and its protectable VMs.
type vaultLists struct {
	items       []protectedItem
	jobs        []job
	protectable []protectableItem
}

// lists reads the three lists of the vault at path (three independent
// lists, read at once).
func (p *provider) lists(ctx context.Context, path, vault string) (vaultLists, error) {
	var l vaultLists
	g := toolkit.NewGroup(ctx, 0)
	g.Go(func(gctx context.Context) error {
		items, err := azure.List[protectedItem](gctx, p.arm, path+"/backupProtectedItems", p.apiVersion, nil)
		if err != nil {
			return fmt.Errorf("list protected items of vault %q: %w", vault, err)
		}
		l.items = items
		return nil
	})
	g.Go(func(gctx context.Context) error {
		now := p.now().UTC()
		q := url.Values{"$filter": {fmt.Sprintf("operation eq 'Backup' and startTime eq '%s' and endTime eq '%s'",
			now.Add(-p.window).Format(jobTimeLayout), now.Format(jobTimeLayout))}}
		jobs, err := azure.List[job](gctx, p.arm, path+"/backupJobs", p.apiVersion, q)
		if err != nil {
			return fmt.Errorf("list Backup jobs of vault %q: %w", vault, err)
		}
		// A server that ignores the $filter's operation: its other jobs
		// (restores, ...) say nothing of the backups.
		l.jobs = slices.DeleteFunc(jobs, func(j job) bool {
			return j.Properties.Operation != "" && !strings.EqualFold(j.Properties.Operation, "Backup")
		})
		return nil
	})
	g.Go(func(gctx context.Context) error {
		q := url.Values{"$filter": {"backupManagementType eq 'AzureIaasVM'"}}
		protectable, err := azure.List[protectableItem](gctx, p.arm, path+"/backupProtectableItems", p.apiVersion, q)
		if err != nil {
			return fmt.Errorf("list protectable items of vault %q: %w", vault, err)
		}
		l.protectable = protectable
		return nil
	})
	return l, g.Wait()
}

// rsVault is a Recovery Services vault of the resource group's list.
type rsVault struct {
	Name string `json:"name"`
}

// Check implements toolkit.Checked: a vault names itself (its lists are
// under its name).
func (v *rsVault) Check() error { return toolkit.Require("name", v.Name) }

// protectedItem is a ProtectedItemResource; the fields read are common to
// the item types of the API document (AzureIaaSVMProtectedItem,
// AzureFileshareProtectedItem, AzureVmWorkloadProtectedItem, ...).
type protectedItem struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Properties struct {
		FriendlyName                 string `json:"friendlyName"`
		BackupManagementType         string `json:"backupManagementType"`
		WorkloadType                 string `json:"workloadType"`
		ContainerName                string `json:"containerName"`
		SourceResourceID             string `json:"sourceResourceId"`
		LastBackupStatus             string `json:"lastBackupStatus"`
		LastBackupTime               string `json:"lastBackupTime"`
		LastRecoveryPoint            string `json:"lastRecoveryPoint"`
		IsScheduledForDeferredDelete bool   `json:"isScheduledForDeferredDelete"`
		ProtectionState              string `json:"protectionState"`
		HealthStatus                 string `json:"healthStatus"`
		HealthDetails                []struct {
			Code    json.RawMessage `json:"code"`
			Title   string          `json:"title"`
			Message string          `json:"message"`
		} `json:"healthDetails"`
		KPIsHealths map[string]struct {
			ResourceHealthStatus string `json:"resourceHealthStatus"`
		} `json:"kpisHealths"`
	} `json:"properties"`
}

// Check implements toolkit.Checked: an item has its ID (the resource of
// a workload item).
func (it *protectedItem) Check() error { return toolkit.Require("id", it.ID) }

// protectableItem is a WorkloadProtectableItemResource.
type protectableItem struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Properties struct {
		FriendlyName         string `json:"friendlyName"`
		BackupManagementType string `json:"backupManagementType"`
		WorkloadType         string `json:"workloadType"`
		ProtectionState      string `json:"protectionState"`
		VirtualMachineID     string `json:"virtualMachineId"`
	} `json:"properties"`
}

// Check implements toolkit.Checked. Nothing is required: the provider
// never refused a protectable item for a missing field.
func (*protectableItem) Check() error { return nil }

// job is a JobResource of a Backup operation (AzureIaaSVMJob,
// AzureStorageJob, AzureWorkloadJob).
type job struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Properties struct {
		EntityFriendlyName   string `json:"entityFriendlyName"`
		BackupManagementType string `json:"backupManagementType"`
		ContainerName        string `json:"containerName"`
		Operation            string `json:"operation"`
		Status               string `json:"status"`
		StartTime            string `json:"startTime"`
		EndTime              string `json:"endTime"`
		ErrorDetails         []struct {
			ErrorCode   json.RawMessage `json:"errorCode"`
			ErrorString string          `json:"errorString"`
			ErrorTitle  string          `json:"errorTitle"`
		} `json:"errorDetails"`
		ExtendedInfo struct {
			ProgressPercentage *float64 `json:"progressPercentage"`
		} `json:"extendedInfo"`
	} `json:"properties"`
}

// Check implements toolkit.Checked: a job names itself (its details are
// read by name) and its status.
func (j *job) Check() error {
	return toolkit.Require("name", j.Name, "properties.status", j.Properties.Status)
}
