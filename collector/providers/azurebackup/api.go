package azurebackup

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// jobTimeLayout is the form of the startTime and endTime of a backupJobs
// $filter in the API document's examples ('2016-01-01 00:00:00 AM'), UTC.
const jobTimeLayout = "2006-01-02 03:04:05 PM"

// vaultResources reads one vault's protected items, Backup jobs and
// protectable VMs (three independent lists, read at once), then the
// details of the jobs in progress.
func (p *provider) vaultResources(ctx context.Context, vault string) ([]toolkit.Resource, error) {
	path := p.base + "/" + url.PathEscape(vault)
	var (
		items       []protectedItem
		jobs        []job
		protectable []protectableItem
	)
	g := toolkit.NewGroup(ctx, 0)
	g.Go(func(gctx context.Context) error {
		err := p.arm.List(gctx, path+"/backupProtectedItems", p.apiVersion, func(raw json.RawMessage) error {
			var it protectedItem
			if err := json.Unmarshal(raw, &it); err != nil {
				return err
			}
			if err := toolkit.Require("id", it.ID); err != nil {
				return err
			}
			if p.wanted(it.Properties.WorkloadType) {
				items = append(items, it)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("list protected items of vault %q: %w", vault, err)
		}
		return nil
	})
	g.Go(func(gctx context.Context) error {
		now := p.now().UTC()
		q := url.Values{"$filter": {fmt.Sprintf("operation eq 'Backup' and startTime eq '%s' and endTime eq '%s'",
			now.Add(-p.window).Format(jobTimeLayout), now.Format(jobTimeLayout))}}
		err := p.arm.ListQuery(gctx, path+"/backupJobs", p.apiVersion, q, func(raw json.RawMessage) error {
			var j job
			if err := json.Unmarshal(raw, &j); err != nil {
				return err
			}
			if err := toolkit.Require("name", j.Name, "properties.status", j.Properties.Status); err != nil {
				return err
			}
			if j.Properties.Operation == "" || strings.EqualFold(j.Properties.Operation, "Backup") {
				jobs = append(jobs, j)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("list Backup jobs of vault %q: %w", vault, err)
		}
		return nil
	})
	g.Go(func(gctx context.Context) error {
		q := url.Values{"$filter": {"backupManagementType eq 'AzureIaasVM'"}}
		err := p.arm.ListQuery(gctx, path+"/backupProtectableItems", p.apiVersion, q, func(raw json.RawMessage) error {
			var it protectableItem
			if err := json.Unmarshal(raw, &it); err != nil {
				return err
			}
			if p.wanted(it.Properties.WorkloadType) {
				protectable = append(protectable, it)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("list protectable items of vault %q: %w", vault, err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}

	records, seen := matchRecords(items, jobs, p.owns)
	out := toolkit.MapResources(ctx, p.concurrency, records, record.identity, func(ctx context.Context, r record) (toolkit.Resource, error) {
		return p.resource(ctx, path, r)
	})
	for _, it := range protectable {
		id := it.resourceID()
		if !strings.EqualFold(it.Properties.ProtectionState, "NotProtected") || seen[strings.ToLower(id)] || !p.owns(id) {
			continue
		}
		seen[strings.ToLower(id)] = true
		out = append(out, toolkit.Unprotected(id, it.label()))
	}
	return out, nil
}

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

// protectableItem is a WorkloadProtectableItemResource.
type protectableItem struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Properties struct {
		FriendlyName     string `json:"friendlyName"`
		WorkloadType     string `json:"workloadType"`
		ProtectionState  string `json:"protectionState"`
		VirtualMachineID string `json:"virtualMachineId"`
	} `json:"properties"`
}

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
