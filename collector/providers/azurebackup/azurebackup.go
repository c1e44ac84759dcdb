// Package azurebackup reads Azure Backup: the protected items of Recovery
// Services vaults (VMs, file shares, databases in VMs), their recent Backup
// jobs, and the vault's protectable VMs for coverage.
package azurebackup

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

// Name is the target type and provider label.
const Name = "azure_backup"

// DefaultAPIVersion is the api-version used when the target sets none:
// the newest stable version of the Recovery Services backup API
// (Microsoft.RecoveryServices, bms.json) and of the vaults API.
const DefaultAPIVersion = "2025-08-01"

// minJobWindow is the least span of Backup jobs read (docs/metrics.md: a window
// of expected_interval × 2, at least 2 days).
const minJobWindow = 48 * time.Hour

// jobTimeLayout is the form of the startTime and endTime of a backupJobs
// $filter in the API document's examples ('2016-01-01 00:00:00 AM'), UTC.
const jobTimeLayout = "2006-01-02 03:04:05 PM"

// reVault is a Recovery Services vault name: 2 to 50 letters, digits and
// hyphens, starting with a letter (Azure's naming rules for
// Microsoft.RecoveryServices/vaults).
var reVault = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{1,49}$`)

// workloadTypes are the WorkloadType values of the API document, by their
// lower-case form.
var workloadTypes = func() map[string]string {
	m := map[string]string{}
	for _, w := range []string{"VM", "FileFolder", "AzureSqlDb", "SQLDB", "Exchange", "Sharepoint", "VMwareVM",
		"SystemState", "Client", "GenericDataSource", "SQLDataBase", "AzureFileShare", "SAPHanaDatabase",
		"SAPAseDatabase", "SAPHanaDBInstance"} {
		m[strings.ToLower(w)] = w
	}
	return m
}()

// Spec is the target's keys.
type Spec struct {
	azure.TargetSpec `yaml:",inline"`
	// Vault names one Recovery Services vault; omitted, every vault of the
	// resource group is read.
	Vault string `yaml:"vault,omitempty"`
	// WorkloadTypes keeps only the items of these workload types (VM,
	// SQLDataBase, AzureFileShare, ...); omitted, all.
	WorkloadTypes []string `yaml:"workload_types,omitempty"`
}

// Validate implements config.TargetSpec.
func (s *Spec) Validate(v *config.Validator) error {
	return config.First(
		s.TargetSpec.Required(v),
		s.TargetSpec.Check(v, DefaultAPIVersion, func() error {
			return v.Match("vault", s.Vault, reVault)
		}, func() error {
			for i, w := range s.WorkloadTypes {
				canonical, ok := workloadTypes[strings.ToLower(w)]
				if !ok {
					return v.Errorf("workload_types", "workload_types entry %d %s is not a workload type of the API (VM, SQLDataBase, AzureFileShare, SAPHanaDatabase, ...)", i+1, v.Shown("workload_types", w))
				}
				s.WorkloadTypes[i] = canonical
			}
			return nil
		}),
	)
}

// Type is the azure_backup provider.
var Type = toolkit.Type{
	TargetType: config.TargetType{
		Name:       Name,
		Credential: azure.CredentialType,
		NewSpec:    func() config.TargetSpec { return &Spec{} },
	},
	Title: "Azure Backup",
	States: []toolkit.StateTable{
		{Field: "Backup job `status`", Table: jobStates},
		{Field: "Protected item `lastBackupStatus` (no job in the window)", Table: lastBackupStates},
	},
	New: newProvider,
}

// jobStates maps a Backup job's status (JobStatus).
var jobStates = map[string]toolkit.State{
	"InProgress":            toolkit.StateRunning,
	"Cancelling":            toolkit.StateRunning,
	"Completed":             toolkit.StateSucceeded,
	"CompletedWithWarnings": toolkit.StateSucceeded,
	"Failed":                toolkit.StateFailed,
	"Cancelled":             toolkit.StateCancelled,
}

// lastBackupStates maps a protected item's lastBackupStatus, used when no
// job of the item is in the window.
var lastBackupStates = map[string]toolkit.State{
	"Completed": toolkit.StateSucceeded,
	"Healthy":   toolkit.StateSucceeded,
	"Failed":    toolkit.StateFailed,
	"Unhealthy": toolkit.StateFailed,
	"IRPending": toolkit.StatePending,
}

type provider struct {
	arm         *azure.Client
	concurrency int
	owns        func(id string) bool
	base        string // ARM path of the resource group's vaults
	vault       string
	workloads   []string
	apiVersion  string
	window      time.Duration
	now         func() time.Time
}

func newProvider(t *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
	s := t.Spec.(*Spec)
	arm, err := azure.NewClient(env, Name, s.SubscriptionID)
	if err != nil {
		return nil, err
	}
	return &provider{
		arm:         arm,
		concurrency: env.Pool.MaxConcurrency(),
		owns:        env.Owns,
		base:        s.ResourceGroupPath() + "/providers/Microsoft.RecoveryServices/vaults",
		vault:       s.Vault,
		workloads:   s.WorkloadTypes,
		apiVersion:  s.APIVersion,
		window:      max(2*time.Duration(t.ExpectedInterval), minJobWindow),
		now:         time.Now,
	}, nil
}

// Collect implements Provider.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	vaults := []string{p.vault}
	if p.vault == "" {
		vaults = nil
		err := p.arm.List(ctx, p.base, p.apiVersion, func(raw json.RawMessage) error {
			var v struct {
				Name string `json:"name"`
			}
			if err := json.Unmarshal(raw, &v); err != nil {
				return err
			}
			if err := toolkit.Require("name", v.Name); err != nil {
				return err
			}
			vaults = append(vaults, azure.LastSegment(v.Name))
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list Recovery Services vaults: %w", err)
		}
	}
	perVault, err := toolkit.MapConcurrent(ctx, p.concurrency, vaults, p.vaultResources)
	if err != nil {
		return nil, err
	}
	var out []toolkit.Resource
	for _, rs := range perVault {
		out = append(out, rs...)
	}
	return out, nil
}

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

// matchRecords pairs each protected item the shard owns with its Backup
// jobs and resource ID, one record per resource; seen holds the IDs (in
// lower case) taken.
func matchRecords(items []protectedItem, jobs []job, owns func(id string) bool) (records []record, seen map[string]bool) {
	byKey := map[string][]*job{}
	for i := range jobs {
		j := &jobs[i]
		k := jobKey(j.Properties.BackupManagementType, j.Properties.EntityFriendlyName)
		byKey[k] = append(byKey[k], j)
	}
	seen = map[string]bool{}
	for i := range items {
		it := &items[i]
		id := it.resourceID()
		if seen[strings.ToLower(id)] || !owns(id) {
			continue
		}
		seen[strings.ToLower(id)] = true
		records = append(records, record{id: id, item: it, jobs: it.matching(byKey[jobKey(it.Properties.BackupManagementType, it.Properties.FriendlyName)])})
	}
	return records, seen
}

// wanted applies the target's workload_types.
func (p *provider) wanted(workload string) bool {
	return len(p.workloads) == 0 || slices.ContainsFunc(p.workloads, func(w string) bool { return strings.EqualFold(w, workload) })
}

// record is a protected item, its resource ID and its Backup jobs in the
// window.
type record struct {
	id   string
	item *protectedItem
	jobs []*job
}

func (r record) identity() (string, string) { return r.id, r.item.label() }

// resource turns a record into a Resource, reading the details of its
// latest job when it is in progress (for its progress).
func (p *provider) resource(ctx context.Context, vaultPath string, rec record) (toolkit.Resource, error) {
	it := rec.item
	id, name := rec.identity()
	backups := make([]toolkit.Backup, 0, len(rec.jobs))
	for _, j := range rec.jobs {
		backups = append(backups, j.toBackup())
	}
	var r toolkit.Resource
	if len(backups) > 0 {
		r = toolkit.Summarize(id, name, backups, true)
		if r.Latest.State == toolkit.StateRunning {
			latest := newestJob(rec.jobs)
			var detail job
			if err := p.arm.Get(ctx, vaultPath+"/backupJobs/"+url.PathEscape(azure.LastSegment(latest.Name)), p.apiVersion, &detail); err != nil {
				return toolkit.Resource{}, fmt.Errorf("get Backup job %q of %q: %w", latest.Name, name, err)
			}
			if pc := detail.Properties.ExtendedInfo.ProgressPercentage; pc != nil {
				r.Latest.Progress = toolkit.Float(*pc / 100)
			}
		}
	} else {
		// No job in the window: the item's own last backup status, started
		// at lastBackupTime.
		var only []toolkit.Backup
		if st := it.Properties.LastBackupStatus; st != "" {
			only = []toolkit.Backup{{
				RawStatus: st,
				State:     toolkit.Normalise(lastBackupStates, st),
				Start:     toolkit.ParseTime(it.Properties.LastBackupTime),
			}}
		}
		r = toolkit.Summarize(id, name, only, false)
		r.Counts = map[toolkit.State]int{}
	}
	// The last success is the newest succeeded job's end, else what the
	// item says; an item with neither was never backed up.
	if r.LastSuccess.IsZero() {
		r.LastSuccess = it.lastSuccess()
	}
	r.NoSuccessListed = r.LastSuccess.IsZero()
	// The jobs are a window's, not every recovery point kept: no
	// recovery window.
	r.OldestSuccess = time.Time{}
	r.Protected = true
	if it.Properties.IsScheduledForDeferredDelete {
		r.State = toolkit.StateDeleting
	}
	if why := it.unhealthyReason(); why != "" {
		r.Healthy = false
		r.Reason = why
	}
	r.Error = errorInfo(r.CurrentError(), it, rec.jobs, r.CurrentState() == toolkit.StateFailed || it.unhealthy())
	return r, nil
}

// errorInfo is backup_error_info (metrics.md): code = the latest job's
// first errorDetails.errorCode, message = that entry's errorString, each
// taken from the item's first healthDetails entry when the job has none
// (field by field); a failure without error details, or an item in
// trouble, says why through its health details alone. A message still
// empty falls back to the job entry's errorTitle.
func errorInfo(fromJob *toolkit.ErrorInfo, it *protectedItem, jobs []*job, trouble bool) *toolkit.ErrorInfo {
	health := it.healthError()
	if fromJob == nil {
		if trouble {
			return health
		}
		return nil
	}
	e := *fromJob
	if health != nil {
		if e.Code == "" {
			e.Code = health.Code
		}
		if e.Message == "" {
			e.Message = health.Message
		}
	}
	if e.Message == "" && len(jobs) > 0 {
		if d := newestJob(jobs).Properties.ErrorDetails; len(d) > 0 {
			e.Message = d[0].ErrorTitle
		}
	}
	return &e
}

// lastSuccess is the item's own account of its last good backup, for an
// item without a succeeded job in the window: the newer of
// lastRecoveryPoint and, when lastBackupStatus says it succeeded,
// lastBackupTime.
func (it *protectedItem) lastSuccess() time.Time {
	last := toolkit.ParseTime(it.Properties.LastRecoveryPoint)
	if toolkit.Normalise(lastBackupStates, it.Properties.LastBackupStatus) == toolkit.StateSucceeded {
		if t := toolkit.ParseTime(it.Properties.LastBackupTime); t.After(last) {
			last = t
		}
	}
	return last
}

// newestJob is the job with the newest start.
func newestJob(jobs []*job) *job {
	newest := jobs[0]
	for _, j := range jobs[1:] {
		if toolkit.ParseTime(j.Properties.StartTime).After(toolkit.ParseTime(newest.Properties.StartTime)) {
			newest = j
		}
	}
	return newest
}

func jobKey(managementType, friendlyName string) string {
	return strings.ToLower(managementType) + "\x00" + strings.ToLower(friendlyName)
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

// resourceID is the protected resource (docs/metrics.md): the item's
// sourceResourceId (a VM); a file share's own ID under its storage account
// (the share's source; the ID must not change when a second share of the
// account is protected); the item itself for workload items (a database
// inside a VM, whose source is the VM).
func (it *protectedItem) resourceID() string {
	p := it.Properties
	switch {
	case p.SourceResourceID == "" || strings.EqualFold(p.BackupManagementType, "AzureWorkload"):
		return it.ID
	case it.isShare():
		return it.shareID()
	}
	return p.SourceResourceID
}

// isShare reports a file share whose source is its storage account.
func (it *protectedItem) isShare() bool {
	p := it.Properties
	src := strings.ToLower(p.SourceResourceID)
	return strings.EqualFold(p.WorkloadType, "AzureFileShare") && p.FriendlyName != "" &&
		strings.Contains(src, "/microsoft.storage/storageaccounts/") && !strings.Contains(src, "/shares/")
}

// shareID is a file share's own ARM ID under its storage account.
func (it *protectedItem) shareID() string {
	return strings.TrimRight(it.Properties.SourceResourceID, "/") + "/fileServices/default/shares/" + it.Properties.FriendlyName
}

func (it *protectedItem) label() string {
	if it.Properties.FriendlyName != "" {
		return it.Properties.FriendlyName
	}
	return azure.LastSegment(it.Name)
}

// matching keeps the jobs of the item's container (when a job names its
// container: two databases of one name in two VMs are two items).
func (it *protectedItem) matching(jobs []*job) []*job {
	var out []*job
	for _, j := range jobs {
		if j.Properties.ContainerName == "" || it.Properties.ContainerName == "" ||
			strings.EqualFold(j.Properties.ContainerName, it.Properties.ContainerName) {
			out = append(out, j)
		}
	}
	return out
}

// unhealthy reports the item's own signs of trouble (docs/metrics.md).
func (it *protectedItem) unhealthy() bool { return it.unhealthyReason() != "" }

// unhealthyReason names the item's first sign of trouble, or "".
func (it *protectedItem) unhealthyReason() string {
	p := it.Properties
	if strings.EqualFold(p.ProtectionState, "ProtectionError") || strings.EqualFold(p.ProtectionState, "ProtectionStopped") {
		return "protection state " + p.ProtectionState
	}
	if strings.EqualFold(p.HealthStatus, "ActionRequired") {
		return "health status " + p.HealthStatus
	}
	for _, k := range p.KPIsHealths {
		if strings.EqualFold(k.ResourceHealthStatus, "TransientUnhealthy") || strings.EqualFold(k.ResourceHealthStatus, "PersistentUnhealthy") {
			return "KPI health " + k.ResourceHealthStatus
		}
	}
	return ""
}

// healthError is the item's first health detail, if any.
func (it *protectedItem) healthError() *toolkit.ErrorInfo {
	for _, d := range it.Properties.HealthDetails {
		msg := d.Message
		if msg == "" {
			msg = d.Title
		}
		code := strings.Trim(string(d.Code), `"`)
		if code == "null" {
			code = ""
		}
		if msg != "" || code != "" {
			return &toolkit.ErrorInfo{Code: code, Message: msg}
		}
	}
	return nil
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

// resourceID is the VM (as a protected item's sourceResourceId is), else
// the protectable item.
func (it *protectableItem) resourceID() string {
	if it.Properties.VirtualMachineID != "" {
		return it.Properties.VirtualMachineID
	}
	return it.ID
}

func (it *protectableItem) label() string {
	if it.Properties.FriendlyName != "" {
		return it.Properties.FriendlyName
	}
	return azure.LastSegment(it.Name)
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

func (j *job) toBackup() toolkit.Backup {
	p := j.Properties
	b := toolkit.Backup{
		ID:        strings.ToLower(j.ID),
		Name:      azure.LastSegment(j.Name),
		RawStatus: p.Status,
		State:     toolkit.Normalise(jobStates, p.Status),
		Start:     toolkit.ParseTime(p.StartTime),
	}
	if b.State != toolkit.StateRunning {
		b.End = toolkit.ParseTime(p.EndTime)
	}
	if pc := p.ExtendedInfo.ProgressPercentage; pc != nil {
		b.Progress = toolkit.Float(*pc / 100)
	}
	if len(p.ErrorDetails) > 0 {
		d := p.ErrorDetails[0]
		code := strings.Trim(string(d.ErrorCode), `"`)
		if code == "null" {
			code = ""
		}
		// The message may come from the item's health details or the
		// entry's title (errorInfo): a code or a title alone is an error.
		if code != "" || d.ErrorString != "" || d.ErrorTitle != "" {
			b.Error = &toolkit.ErrorInfo{Code: code, Message: d.ErrorString}
		}
	}
	return b
}
