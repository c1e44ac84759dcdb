package azuredataprotection

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	json "github.com/segmentio/encoding/json"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// The ARM calls of a poll and the typed items they return. Paths built
// from IDs in answers (a policy's, a job's, an instance's) are rebuilt
// segment by segment with every name escaped (childPath): an ID read from
// an answer is never sent as it came.

// vaultLists are what one vault lists: its backup instances, and its
// Backup jobs of the window by instance (lower-cased instance ID).
type vaultLists struct {
	instances []backupInstance
	jobs      map[string][]*job
}

// vaultPaths are the ARM paths of the vaults the target reads: the one
// it names, or those of its resource group (BackupVaults_GetInResourceGroup)
// or subscription (BackupVaults_GetInSubscription), with vault then
// keeping those of that name.
func (p *provider) vaultPaths(ctx context.Context) ([]string, error) {
	if p.vault != "" && p.resourceGroup != "" {
		return []string{p.base + "/" + url.PathEscape(p.vault)}, nil
	}
	listed, err := azure.List[vault](ctx, p.arm, p.base, p.apiVersion, nil)
	if err != nil {
		return nil, fmt.Errorf("list Backup vaults: %w", err)
	}
	var paths []string
	for _, v := range listed {
		name := azure.LastSegment(v.Name)
		if p.vault != "" && !strings.EqualFold(name, p.vault) {
			continue
		}
		path, ok := childPath(v.ID, "")
		switch {
		case ok:
		case p.resourceGroup != "":
			path = p.base + "/" + url.PathEscape(name)
		default:
			return nil, fmt.Errorf("list Backup vaults: vault %q has no ARM ID of a Backup vault: its resource group is unknown", name)
		}
		paths = append(paths, path)
	}
	if p.vault != "" && len(paths) == 0 {
		return nil, fmt.Errorf("no Backup vault named %q in subscription %s", p.vault, p.subscription)
	}
	return paths, nil
}

// vaultLists reads the two lists of the vault at path at once: its
// backup instances (BackupInstances_List) and its jobs (Jobs_List). Jobs_List
// takes no filter: every page of the vault's job history is read, and
// only the Backup jobs that started within the window are kept.
func (p *provider) vaultLists(ctx context.Context, path string) (vaultLists, error) {
	name := azure.LastSegment(path)
	if n, err := url.PathUnescape(name); err == nil {
		name = n
	}
	l := vaultLists{jobs: map[string][]*job{}}
	since := p.now().Add(-p.window)
	g := toolkit.NewGroup(ctx, 0)
	g.Go(func(ctx context.Context) error {
		items, err := azure.List[backupInstance](ctx, p.arm, path+"/backupInstances", p.apiVersion, nil)
		if err != nil {
			return fmt.Errorf("list backup instances of vault %q: %w", name, err)
		}
		l.instances = items
		return nil
	})
	g.Go(func(ctx context.Context) error {
		err := azure.Each(ctx, p.arm, path+"/backupJobs", p.apiVersion, nil, func(j job) error {
			if j.inWindow(since) {
				k := strings.ToLower(j.Properties.BackupInstanceID)
				l.jobs[k] = append(l.jobs[k], &j)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("list jobs of vault %q: %w", name, err)
		}
		return nil
	})
	return l, g.Wait()
}

// jobDetail reads job j (Jobs_Get), for the extendedInfo a list leaves
// out; nil when its ID is no Backup vault job's.
func (p *provider) jobDetail(ctx context.Context, j *job) (*job, error) {
	path, ok := childPath(j.ID, "backupJobs")
	if !ok {
		return nil, nil
	}
	var detail job
	if err := p.arm.Get(ctx, path, p.apiVersion, &detail); err != nil {
		return nil, fmt.Errorf("get job %q: %w", azure.LastSegment(j.Name), err)
	}
	return &detail, nil
}

// recoveryPoints lists the recovery points of instance it
// (RecoveryPoints_List, every page).
func (p *provider) recoveryPoints(ctx context.Context, it *backupInstance) ([]recoveryPoint, error) {
	path, ok := childPath(it.ID, "backupInstances")
	if !ok {
		return nil, fmt.Errorf("backup instance %q has no ARM ID of a Backup vault's instance: its recovery points cannot be listed", it.Name)
	}
	points, err := azure.List[recoveryPoint](ctx, p.arm, path+"/recoveryPoints", p.apiVersion, nil)
	if err != nil {
		return nil, fmt.Errorf("list recovery points of backup instance %q: %w", it.Name, err)
	}
	return points, nil
}

// policy reads the backup policy id (BackupPolicies_Get); an ID that is
// no Backup vault policy's is errNoPolicyID.
func (p *provider) policy(ctx context.Context, id string) (*backupPolicy, error) {
	path, ok := childPath(id, "backupPolicies")
	if !ok {
		return nil, errNoPolicyID
	}
	var pol backupPolicy
	if err := p.arm.Get(ctx, path, p.apiVersion, &pol); err != nil {
		return nil, fmt.Errorf("get backup policy %q: %w", azure.LastSegment(path), err)
	}
	if err := pol.Check(); err != nil {
		return nil, fmt.Errorf("get backup policy %q: %w", azure.LastSegment(path), err)
	}
	return &pol, nil
}

// childPath rebuilds id, the ARM ID of a Backup vault (kind "") or of one
// of its children of type kind ("backupInstances", "backupJobs",
// "backupPolicies"), as a request path: the fixed segments compared
// without case (the API's own examples write "Backupvaults") and written
// as documented, every name escaped.
func childPath(id, kind string) (string, bool) {
	want := []string{"subscriptions", "", "resourceGroups", "", "providers", "Microsoft.DataProtection", "backupVaults", ""}
	if kind != "" {
		want = append(want, kind, "")
	}
	segs := strings.Split(strings.TrimPrefix(id, "/"), "/")
	if !strings.HasPrefix(id, "/") || len(segs) != len(want) {
		return "", false
	}
	var b strings.Builder
	for i, w := range want {
		s := segs[i]
		switch {
		case w != "" && !strings.EqualFold(s, w):
			return "", false
		case w != "":
			b.WriteString("/" + w)
		case s == "" || s == "." || s == "..":
			return "", false
		default:
			b.WriteString("/" + url.PathEscape(s))
		}
	}
	return b.String(), true
}

// vault is a Backup vault of a list (BackupVaultResource).
type vault struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Check implements toolkit.Checked: a vault names itself.
func (v *vault) Check() error { return toolkit.Require("name", v.Name) }

// text is a string field of an upstream error that may come as a number
// (an error code): read as its text; anything else reads as empty.
type text string

// UnmarshalJSON implements json.Unmarshaler.
func (t *text) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*t = text(s)
		return nil
	}
	var n json.Number
	if json.Unmarshal(b, &n) == nil {
		*t = text(n.String())
		return nil
	}
	*t = ""
	return nil
}

// userFacingError is a UserFacingError: the fields read of it.
type userFacingError struct {
	Code    text `json:"code"`
	Message text `json:"message"`
}

// info is the error as backup_error_info shows it; nil when it has
// neither code nor message.
func (e *userFacingError) info() *toolkit.ErrorInfo {
	if e == nil || (e.Code == "" && e.Message == "") {
		return nil
	}
	return &toolkit.ErrorInfo{Code: string(e.Code), Message: string(e.Message)}
}

// backupInstance is a BackupInstanceResource.
type backupInstance struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Properties struct {
		FriendlyName   string `json:"friendlyName"`
		DataSourceInfo struct {
			ResourceID     string `json:"resourceID"`
			ResourceName   string `json:"resourceName"`
			DatasourceType string `json:"datasourceType"`
		} `json:"dataSourceInfo"`
		PolicyInfo struct {
			PolicyID string `json:"policyId"`
		} `json:"policyInfo"`
		CurrentProtectionState string `json:"currentProtectionState"`
		ProtectionStatus       struct {
			Status       string           `json:"status"`
			ErrorDetails *userFacingError `json:"errorDetails"`
		} `json:"protectionStatus"`
		ProtectionErrorDetails *userFacingError `json:"protectionErrorDetails"`
	} `json:"properties"`
}

// Check implements toolkit.Checked: an instance has its ID (its jobs and
// recovery points are found by it), and the fields the API document
// requires of it that are read: the protected resource and the policy.
func (it *backupInstance) Check() error {
	return toolkit.Require("id", it.ID,
		"properties.dataSourceInfo.resourceID", it.Properties.DataSourceInfo.ResourceID,
		"properties.policyInfo.policyId", it.Properties.PolicyInfo.PolicyID)
}

// job is an AzureBackupJobResource.
type job struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Properties struct {
		BackupInstanceID  string            `json:"backupInstanceId"`
		OperationCategory string            `json:"operationCategory"`
		Status            string            `json:"status"`
		StartTime         string            `json:"startTime"`
		EndTime           string            `json:"endTime"`
		ErrorDetails      []userFacingError `json:"errorDetails"`
		// ExtendedInfo is in a job's own GET (Jobs_Get) only.
		ExtendedInfo *struct {
			DataTransferredInBytes *float64 `json:"dataTransferredInBytes"`
		} `json:"extendedInfo"`
	} `json:"properties"`
}

// Check implements toolkit.Checked: a job has its ID (its details are
// read by it), its status and its start, which the API document
// requires.
func (j *job) Check() error {
	return toolkit.Require("id", j.ID, "properties.status", j.Properties.Status, "properties.startTime", j.Properties.StartTime)
}

// backupPolicy is a BaseBackupPolicyResource: the rules read of it.
type backupPolicy struct {
	ID         string `json:"id"`
	Properties struct {
		PolicyRules []struct {
			ObjectType string `json:"objectType"`
			Trigger    struct {
				ObjectType string `json:"objectType"`
				Schedule   struct {
					RepeatingTimeIntervals []string `json:"repeatingTimeIntervals"`
				} `json:"schedule"`
			} `json:"trigger"`
		} `json:"policyRules"`
	} `json:"properties"`
}

// Check implements toolkit.Checked: a policy has the rules the API
// document requires (without them, no schedule could be told from none).
func (pol *backupPolicy) Check() error {
	if len(pol.Properties.PolicyRules) == 0 {
		return toolkit.Require("properties.policyRules", "")
	}
	return nil
}

// recoveryPoint is an AzureBackupRecoveryPointResource (an
// AzureBackupDiscreteRecoveryPoint).
type recoveryPoint struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Properties struct {
		RecoveryPointTime  string `json:"recoveryPointTime"`
		ExpiryTime         string `json:"expiryTime"`
		RecoveryPointState string `json:"recoveryPointState"`
	} `json:"properties"`
}

// Check implements toolkit.Checked: a recovery point has its time, which
// the API document requires.
func (rp *recoveryPoint) Check() error {
	return toolkit.Require("properties.recoveryPointTime", rp.Properties.RecoveryPointTime)
}
