package simulator

// Azure Backup's Backup vaults (Microsoft.DataProtection): the vaults of a
// subscription or resource group, and each vault's backup instances (with
// their recovery points), backup jobs (list and single job) and backup
// policies, under /subscriptions/ like the other Resource Manager routes
// (azure_resourcemanager.go: bearer check, paging by nextLink, faults as
// "azure").
//
// Written only from these public documents, in
// github.com/Azure/azure-rest-api-specs,
// specification/dataprotection/resource-manager/Microsoft.DataProtection/
// ("stable/2025-07-01/examples/" below) and its TypeSpec sources
// ("DataProtection/*.tsp"), and the models as
// github.com/Azure/bicep-types-az renders them
// (generated/dataprotection/microsoft.dataprotection/2025-07-01/types.md):
//
//   - Vaults: BackupVaults_GetInSubscription, BackupVaults_GetInResourceGroup
//     and BackupVaults_Get; examples VaultCRUD/GetBackupVaultsInSubscription.json,
//     GetBackupVaultsInResourceGroup.json (ids ".../BackupVaults/{name}",
//     type "Microsoft.DataProtection/BackupVaults") and GetBackupVault.json
//     (identity, properties.provisioningState, storageSettings,
//     securitySettings.softDeleteSettings, monitoringSettings).
//   - Backup instances: BackupInstances_List and _Get; examples
//     BackupInstanceOperations/ListBackupInstances.json and
//     GetBackupInstance.json; model BackupInstance (friendlyName,
//     dataSourceInfo {resourceID, resourceName, datasourceType,
//     resourceType, resourceUri, resourceLocation, objectType Datasource},
//     policyInfo.policyId, currentProtectionState and its enumeration,
//     protectionStatus {status, errorDetails}, protectionErrorDetails,
//     provisioningState, objectType BackupInstance), UserFacingError
//     (code, message, isRetryable, isUserError, recommendedAction).
//   - Recovery points: RecoveryPoints_List ($filter, $skipToken) and _Get
//     (DataProtection/AzureBackupRecoveryPointResource.tsp); example
//     BackupInstanceOperations/ListRecoveryPoints.json; model
//     AzureBackupDiscreteRecoveryPoint (recoveryPointTime required,
//     expiryTime, recoveryPointState Completed/Partial, recoveryPointType,
//     friendlyName, recoveryPointDataStoresDetails).
//   - Jobs: Jobs_List (DataProtection/AzureBackupJobResource.tsp: no query
//     parameter but api-version) and Jobs_Get; examples
//     JobCRUD/ListJobs.json (no extendedInfo in the list; ids
//     ".../Backupvaults/{vault}/backupJobs/{guid}"; status Started and
//     Succeeded; duration as a .NET TimeSpan "00:02:11.9724387") and
//     JobCRUD/GetJob.json (extendedInfo subTasks, additionalDetails); model
//     AzureBackupJob (the required fields, status "InProgress/Completed/
//     Failed/Cancelled/CompletedWithWarnings/Cancelling/Paused",
//     operationCategory "Backup/Restore/Tiering/Management", errorDetails
//     of UserFacingError, endTime read-only), JobExtendedInfo
//     (dataTransferredInBytes, subTasks).
//   - Policies: BackupPolicies_List and _Get; example
//     PolicyCRUD/GetBackupPolicy.json (an AzureBackupRule whose trigger is a
//     ScheduleBasedTriggerContext with schedule.repeatingTimeIntervals
//     "R/2019-11-20T08:00:00-08:00/P1W" and taggingCriteria; AzureRetentionRule
//     lifecycles with deleteAfter AbsoluteDeleteOption); model BackupPolicy.
//   - api-versions: the stable versions of
//     DataProtection/main.tsp (2025-07-01, 2025-09-01, 2026-03-01); an
//     unsupported one is answered as ARM does (NoRegisteredProviderFound,
//     as azure_backup.go).
//
// Not in those documents, and so the simulator's own choice: the order of
// lists (jobs newest first, the rest as configured), that Jobs_List
// ignores a $filter (the operation takes none), the $filter of
// RecoveryPoints_List (startDate and endDate, RFC 3339, both inclusive),
// the names of generated instances (the "{rg}-{name}-{guid}" form of the
// Resource Graph row in MicrosoftDocs/azure-docs
// articles/backup/restore-managed-disks-cli.md), and that a job's
// dataTransferredInBytes is in its own GET only.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// DataProtectionAPIVersion is the api-version of the Backup vault routes
// the exporter uses by default; the simulator also accepts the other
// stable ones.
const DataProtectionAPIVersion = "2025-07-01"

var dpAPIVersions = []string{DataProtectionAPIVersion, "2025-09-01", "2026-03-01"}

// The documented enumerations.
var (
	dpProtectionStates = []string{"BackupSchedulesSuspended", "ConfiguringProtection", "ConfiguringProtectionFailed", "Invalid",
		"NotProtected", "ProtectionConfigured", "ProtectionError", "ProtectionStopped", "RetentionSchedulesSuspended",
		"SoftDeleted", "SoftDeleting", "UpdatingProtection"}
	// dpProtectionStatuses are protectionStatus.status's, and NotProtected,
	// which the instance example shows although the enumeration lacks it.
	dpProtectionStatuses = []string{"ConfiguringProtection", "ConfiguringProtectionFailed", "ProtectionConfigured",
		"ProtectionStopped", "SoftDeleted", "SoftDeleting", "NotProtected"}
	// dpJobStatuses are the model's and the REST examples' (Started,
	// Succeeded).
	dpJobStatuses       = []string{"InProgress", "Completed", "Failed", "Cancelled", "CompletedWithWarnings", "Cancelling", "Paused", "Started", "Succeeded"}
	dpOperationCategory = []string{"Backup", "Restore", "Tiering", "Management"}
	dpPointStates       = []string{"Completed", "Partial"}
)

// DPVault is a Backup vault (the `data_protection_vaults:` of a resource
// group).
type DPVault struct {
	Name string `yaml:"name"`
	// Location; default DefaultAzureLocation.
	Location string            `yaml:"location"`
	Tags     map[string]string `yaml:"tags"`
	// StorageRedundancy is storageSettings[].type: LocallyRedundant
	// (default), GeoRedundant, ZoneRedundant.
	StorageRedundancy string       `yaml:"storage_redundancy"`
	Policies          []DPPolicy   `yaml:"policies"`
	Instances         []DPInstance `yaml:"instances"`
	Jobs              []DPJob      `yaml:"jobs"`
}

// DPPolicy is a backup policy of a vault.
type DPPolicy struct {
	Name string `yaml:"name"`
	// DatasourceType its instances protect; default Microsoft.Compute/disks.
	DatasourceType string `yaml:"datasource_type"`
	// Schedules are the repeatingTimeIntervals of its backup rule ("R/
	// 2026-01-01T02:00:00+00:00/P1D"); none: a policy without a scheduled
	// backup rule (continuous or operational-tier backups, as blobs').
	Schedules []string `yaml:"schedules"`
	// RetentionDays of its retention rule; default 7.
	RetentionDays int `yaml:"retention_days"`
}

// DPInstance is a backup instance of a vault.
type DPInstance struct {
	// Name; default "{resource group}-{resource name}-{stable GUID}".
	Name string `yaml:"name"`
	// ResourceID is the protected resource's ARM ID (required).
	ResourceID string `yaml:"resource_id"`
	// ResourceName; default the ID's last segment. FriendlyName; default
	// ResourceName.
	ResourceName string `yaml:"resource_name"`
	FriendlyName string `yaml:"friendly_name"`
	// DatasourceType; default the policy's.
	DatasourceType string `yaml:"datasource_type"`
	// Policy names a policy of the vault (required).
	Policy string `yaml:"policy"`
	// ProtectionState is currentProtectionState; default
	// ProtectionConfigured. ProtectionStatus is protectionStatus.status;
	// default the state when it is one of the status's values, else
	// ProtectionConfigured.
	ProtectionState  string `yaml:"protection_state"`
	ProtectionStatus string `yaml:"protection_status"`
	// ProtectionError is protectionErrorDetails; StatusError is
	// protectionStatus.errorDetails.
	ProtectionError *DPError          `yaml:"protection_error"`
	StatusError     *DPError          `yaml:"status_error"`
	RecoveryPoints  []DPRecoveryPoint `yaml:"recovery_points"`
}

// DPError is a UserFacingError.
type DPError struct {
	Code              string   `yaml:"code"`
	Message           string   `yaml:"message"`
	Retryable         bool     `yaml:"retryable"`
	RecommendedAction []string `yaml:"recommended_action"`
}

// DPJob is a job of a vault.
type DPJob struct {
	// Name is the job's GUID; default a stable one.
	Name string `yaml:"name"`
	// Instance names an instance of the vault (required).
	Instance string `yaml:"instance"`
	// OperationCategory: Backup (default), Restore, Tiering, Management;
	// Operation: default Backup, or Restore for a restore.
	OperationCategory string `yaml:"operation_category"`
	Operation         string `yaml:"operation"`
	// Status: Completed (default), CompletedWithWarnings, Succeeded,
	// InProgress, Started, Cancelling, Paused, Failed, Cancelled.
	Status string `yaml:"status"`
	// StartTime (required) and EndTime are RFC 3339; EndTime is left out
	// while the job runs (InProgress, Started, Cancelling, Paused).
	StartTime string    `yaml:"start_time"`
	EndTime   string    `yaml:"end_time"`
	Errors    []DPError `yaml:"errors"`
	// DataTransferredInBytes is in the job's own GET (extendedInfo).
	DataTransferredInBytes *int64 `yaml:"data_transferred_in_bytes"`
	UserTriggered          bool   `yaml:"user_triggered"`
}

// DPRecoveryPoint is a recovery point of an instance.
type DPRecoveryPoint struct {
	// Name; default a stable GUID.
	Name string `yaml:"name"`
	// RecoveryPointTime (required) and ExpiryTime (optional) are RFC 3339.
	RecoveryPointTime string `yaml:"recovery_point_time"`
	ExpiryTime        string `yaml:"expiry_time"`
	// State is recoveryPointState: Completed (default) or Partial.
	State string `yaml:"state"`
	// Type is recoveryPointType; default Incremental.
	Type string `yaml:"type"`
}

func init() {
	armRoutes = append(armRoutes,
		armRoute{h: armListDPVaultsInSubscription, segs: strings.Split("subscriptions/{sub}/providers/Microsoft.DataProtection/backupVaults", "/")},
		armRoute{h: armListDPVaults, segs: strings.Split(dpBase, "/")},
		armRoute{h: armGetDPVault, segs: strings.Split(dpBase+"/{vault}", "/")},
		armRoute{h: armListDPInstances, segs: strings.Split(dpBase+"/{vault}/backupInstances", "/")},
		armRoute{h: armGetDPInstance, segs: strings.Split(dpBase+"/{vault}/backupInstances/{bi}", "/")},
		armRoute{h: armListDPPoints, segs: strings.Split(dpBase+"/{vault}/backupInstances/{bi}/recoveryPoints", "/")},
		armRoute{h: armGetDPPoint, segs: strings.Split(dpBase+"/{vault}/backupInstances/{bi}/recoveryPoints/{rp}", "/")},
		armRoute{h: armListDPJobs, segs: strings.Split(dpBase+"/{vault}/backupJobs", "/")},
		armRoute{h: armGetDPJob, segs: strings.Split(dpBase+"/{vault}/backupJobs/{job}", "/")},
		armRoute{h: armListDPPolicies, segs: strings.Split(dpBase+"/{vault}/backupPolicies", "/")},
		armRoute{h: armGetDPPolicy, segs: strings.Split(dpBase+"/{vault}/backupPolicies/{policy}", "/")},
	)
}

const dpBase = "subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DataProtection/backupVaults"

// ---------------------------------------------------------------------
// Scenario checks, lookups and mutators.

// validateDataProtection checks the data_protection_vaults of every
// resource group.
func (sc *AzureScenario) validateDataProtection() error {
	return validateVaults(sc, "data_protection_vaults", func(g *AzureResourceGroup) []DPVault { return g.DataProtectionVaults },
		func(sub, rg string, v *DPVault) (string, error) { return v.Name, v.validate(sub, rg) })
}

func (v *DPVault) validate(sub, rg string) error {
	if v.Name == "" {
		return fmt.Errorf("no name")
	}
	policies := map[string]bool{}
	for i, p := range v.Policies {
		if p.Name == "" || policies[strings.ToLower(p.Name)] {
			return fmt.Errorf("policies[%d]: no name, or a name given twice", i)
		}
		policies[strings.ToLower(p.Name)] = true
		for _, s := range p.Schedules {
			if !strings.HasPrefix(s, "R") || strings.Count(s, "/") != 2 {
				return fmt.Errorf("policies[%d] %s: schedule %q is not an ISO 8601 repeating interval R/start/duration", i, p.Name, s)
			}
		}
	}
	names := map[string]bool{}
	for i := range v.Instances {
		it := &v.Instances[i]
		name := strings.ToLower(v.instanceName(sub, rg, i))
		errs := []error{rsOneOf("protection_state", it.ProtectionState, dpProtectionStates),
			rsOneOf("protection_status", it.ProtectionStatus, dpProtectionStatuses)}
		switch {
		case !strings.HasPrefix(strings.ToLower(it.ResourceID), "/subscriptions/") || strings.HasSuffix(it.ResourceID, "/"):
			errs = append(errs, fmt.Errorf("resource_id %q is not an ARM ID", it.ResourceID))
		case !policies[strings.ToLower(it.Policy)]:
			errs = append(errs, fmt.Errorf("policy %q is not a policy of the vault", it.Policy))
		case names[name]:
			errs = append(errs, fmt.Errorf("duplicate name"))
		}
		names[name] = true
		for k, p := range it.RecoveryPoints {
			errs = append(errs, rsOneOf(fmt.Sprintf("recovery_points[%d].state", k), p.State, dpPointStates),
				rsTime(fmt.Sprintf("recovery_points[%d].recovery_point_time", k), p.RecoveryPointTime),
				rsTime(fmt.Sprintf("recovery_points[%d].expiry_time", k), p.ExpiryTime))
			if p.RecoveryPointTime == "" {
				errs = append(errs, fmt.Errorf("recovery_points[%d]: no recovery_point_time", k))
			}
		}
		if err := firstErr(errs); err != nil {
			return fmt.Errorf("instances[%d] %s: %w", i, it.ResourceID, err)
		}
	}
	return validateJobs(len(v.Jobs), v.jobName, func(i int) []error {
		j := &v.Jobs[i]
		errs := []error{rsOneOf("status", j.Status, dpJobStatuses), rsOneOf("operation_category", j.OperationCategory, dpOperationCategory),
			rsTime("start_time", j.StartTime), rsTime("end_time", j.EndTime)}
		if j.StartTime == "" {
			errs = append(errs, fmt.Errorf("no start_time"))
		}
		if !names[strings.ToLower(j.Instance)] {
			errs = append(errs, fmt.Errorf("instance %q is not an instance of the vault", j.Instance))
		}
		return errs
	})
}

// instanceName is the name of the i-th instance: its Name, else
// "{resource group}-{resource name}-{GUID}".
func (v *DPVault) instanceName(sub, rg string, i int) string {
	it := &v.Instances[i]
	if it.Name != "" {
		return it.Name
	}
	parts := strings.Split(strings.Trim(it.ResourceID, "/"), "/")
	group := ""
	for k := 0; k+1 < len(parts); k++ {
		if strings.EqualFold(parts[k], "resourceGroups") {
			group = parts[k+1]
		}
	}
	return group + "-" + parts[len(parts)-1] + "-" + stableUUID("dpinstance", sub, rg, v.Name, it.ResourceID)
}

// instances are the vault's instances as served, and their index by
// lower-cased name: built once per request.
type dpInstances struct {
	json  []*dpInstanceJSON
	index map[string]int
}

func (v *DPVault) instances(sub, rg string) dpInstances {
	out := dpInstances{json: make([]*dpInstanceJSON, len(v.Instances)), index: make(map[string]int, len(v.Instances))}
	for i := range v.Instances {
		it := dpInstanceResource(sub, rg, v, i)
		out.json[i] = &it
		out.index[strings.ToLower(it.Name)] = i
	}
	return out
}

// instanceIndex is the index of the instance called name, or -1.
func (v *DPVault) instanceIndex(sub, rg, name string) int {
	for i := range v.Instances {
		// Names are compared first when given: no GUID to compute.
		if n := v.Instances[i].Name; (n != "" && strings.EqualFold(n, name)) || (n == "" && strings.EqualFold(v.instanceName(sub, rg, i), name)) {
			return i
		}
	}
	return -1
}

// find is the instance called name, or nil.
func (is dpInstances) find(name string) *dpInstanceJSON {
	if i, ok := is.index[strings.ToLower(name)]; ok {
		return is.json[i]
	}
	return nil
}

func (v *DPVault) policy(name string) *DPPolicy {
	for i := range v.Policies {
		if strings.EqualFold(v.Policies[i].Name, name) {
			return &v.Policies[i]
		}
	}
	return nil
}

// jobName is the name of the i-th job: its Name, else a GUID stable for
// the vault, the index, the instance and the start.
func (v *DPVault) jobName(i int) string {
	j := &v.Jobs[i]
	if j.Name != "" {
		return j.Name
	}
	return stableUUID("dpjob", v.Name, fmt.Sprint(i), j.Instance, j.StartTime)
}

// dpVault finds a vault; the caller holds s.mu.
func (st *azureState) dpVault(sub, rg, name string) *DPVault {
	g := st.rg(sub, rg)
	if g == nil {
		return nil
	}
	for i := range g.DataProtectionVaults {
		if strings.EqualFold(g.DataProtectionVaults[i].Name, name) {
			return &g.DataProtectionVaults[i]
		}
	}
	return nil
}

// UpdateDPVault calls fn with the named Backup vault, under the server's
// lock.
func (s *Server) UpdateDPVault(sub, rg, vault string, fn func(*DPVault)) error {
	st := s.azureState()
	s.mu.Lock()
	defer s.mu.Unlock()
	v := st.dpVault(sub, rg, vault)
	if v == nil {
		return fmt.Errorf("azure: no backup vault %s in %s/%s", vault, sub, rg)
	}
	fn(v)
	return nil
}

// ---------------------------------------------------------------------
// Resource JSON.

func dpVaultID(sub, rg, vault string) string {
	return "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.DataProtection/backupVaults/" + vault
}

func dpVaultResource(sub, rg string, v *DPVault) map[string]any {
	return map[string]any{
		// The lists' examples write BackupVaults in ids and types.
		"id":       strings.Replace(dpVaultID(sub, rg, v.Name), "/backupVaults/", "/BackupVaults/", 1),
		"name":     v.Name,
		"type":     "Microsoft.DataProtection/BackupVaults",
		"location": v.location(),
		"tags":     orEmptyMap(v.Tags),
		"identity": map[string]any{"type": "SystemAssigned", "principalId": stableUUID("dpidentity", sub, rg, v.Name), "tenantId": DefaultAzureTenantID},
		"properties": map[string]any{
			"provisioningState": "Succeeded",
			"storageSettings":   []map[string]string{{"datastoreType": "VaultStore", "type": firstNonEmpty(v.StorageRedundancy, "LocallyRedundant")}},
			"securitySettings": map[string]any{
				"softDeleteSettings":   map[string]any{"state": "On", "retentionDurationInDays": 14},
				"immutabilitySettings": map[string]any{"state": "Disabled"},
			},
			"monitoringSettings":              map[string]any{"azureMonitorAlertSettings": map[string]string{"alertsForAllJobFailures": "Enabled"}},
			"isVaultProtectedByResourceGuard": false,
			"resourceMoveState":               "Unknown",
			"secureScore":                     "None",
			"bcdrSecurityLevel":               "Poor",
			"replicatedRegions":               []string{},
		},
	}
}

func orEmptyMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

type dpErrorJSON struct {
	Code              string   `json:"code"`
	Message           string   `json:"message"`
	IsRetryable       bool     `json:"isRetryable"`
	IsUserError       bool     `json:"isUserError"`
	RecommendedAction []string `json:"recommendedAction"`
	Target            string   `json:"target"`
	Details           []any    `json:"details"`
}

func dpError(e *DPError) *dpErrorJSON {
	if e == nil {
		return nil
	}
	return &dpErrorJSON{Code: e.Code, Message: e.Message, IsRetryable: e.Retryable, IsUserError: strings.HasPrefix(e.Code, "UserError"),
		RecommendedAction: orEmpty(e.RecommendedAction), Details: []any{}}
}

type dpDatasourceJSON struct {
	ResourceID       string `json:"resourceID"`
	ResourceURI      string `json:"resourceUri"`
	DatasourceType   string `json:"datasourceType"`
	ResourceName     string `json:"resourceName"`
	ResourceType     string `json:"resourceType"`
	ResourceLocation string `json:"resourceLocation"`
	ObjectType       string `json:"objectType"`
}

type dpInstanceJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Properties struct {
		FriendlyName   string           `json:"friendlyName"`
		DataSourceInfo dpDatasourceJSON `json:"dataSourceInfo"`
		PolicyInfo     struct {
			PolicyID      string `json:"policyId"`
			PolicyVersion string `json:"policyVersion"`
		} `json:"policyInfo"`
		CurrentProtectionState string `json:"currentProtectionState"`
		ProtectionStatus       struct {
			Status       string       `json:"status"`
			ErrorDetails *dpErrorJSON `json:"errorDetails,omitempty"`
		} `json:"protectionStatus"`
		ProtectionErrorDetails *dpErrorJSON `json:"protectionErrorDetails,omitempty"`
		ProvisioningState      string       `json:"provisioningState"`
		ObjectType             string       `json:"objectType"`
	} `json:"properties"`
}

// dpResourceName is the last segment of an ARM ID.
func dpResourceName(id string) string { return id[strings.LastIndexByte(id, '/')+1:] }

func dpInstanceResource(sub, rg string, v *DPVault, i int) dpInstanceJSON {
	it := &v.Instances[i]
	name := v.instanceName(sub, rg, i)
	pol := v.policy(it.Policy)
	dstype := firstNonEmpty(it.DatasourceType, pol.DatasourceType, "Microsoft.Compute/disks")
	resName := firstNonEmpty(it.ResourceName, dpResourceName(it.ResourceID))
	var out dpInstanceJSON
	out.ID = dpVaultID(sub, rg, v.Name) + "/backupInstances/" + name
	out.Name = name
	out.Type = "Microsoft.DataProtection/backupVaults/backupInstances"
	p := &out.Properties
	p.FriendlyName = firstNonEmpty(it.FriendlyName, resName)
	p.DataSourceInfo = dpDatasourceJSON{ResourceID: it.ResourceID, ResourceURI: it.ResourceID, DatasourceType: dstype, ResourceName: resName,
		ResourceType: dstype, ResourceLocation: v.location(), ObjectType: "Datasource"}
	p.PolicyInfo.PolicyID = dpVaultID(sub, rg, v.Name) + "/backupPolicies/" + pol.Name
	p.CurrentProtectionState = firstNonEmpty(it.ProtectionState, "ProtectionConfigured")
	status := it.ProtectionStatus
	if status == "" {
		status = "ProtectionConfigured"
		if slices.Contains(dpProtectionStatuses, p.CurrentProtectionState) {
			status = p.CurrentProtectionState
		}
	}
	p.ProtectionStatus.Status = status
	p.ProtectionStatus.ErrorDetails = dpError(it.StatusError)
	p.ProtectionErrorDetails = dpError(it.ProtectionError)
	p.ProvisioningState = "Succeeded"
	p.ObjectType = "BackupInstance"
	return out
}

func dpPolicyResource(sub, rg string, v *DPVault, p *DPPolicy) map[string]any {
	store := "OperationalStore"
	var rules []any
	if len(p.Schedules) > 0 {
		rules = append(rules, map[string]any{
			"name":             "BackupSchedule",
			"objectType":       "AzureBackupRule",
			"backupParameters": map[string]string{"backupType": "Incremental", "objectType": "AzureBackupParams"},
			"dataStore":        map[string]string{"dataStoreType": store, "objectType": "DataStoreInfoBase"},
			"trigger": map[string]any{
				"objectType": "ScheduleBasedTriggerContext",
				"schedule":   map[string]any{"repeatingTimeIntervals": p.Schedules, "timeZone": "UTC"},
				"taggingCriteria": []any{map[string]any{"isDefault": true, "taggingPriority": 99,
					"tagInfo": map[string]string{"id": "Default_", "tagName": "Default"}}},
			},
		})
	}
	rules = append(rules, map[string]any{
		"name": "Default", "objectType": "AzureRetentionRule", "isDefault": true,
		"lifecycles": []any{map[string]any{
			"deleteAfter":                 map[string]string{"objectType": "AbsoluteDeleteOption", "duration": fmt.Sprintf("P%dD", orDefault(p.RetentionDays, 7))},
			"sourceDataStore":             map[string]string{"dataStoreType": store, "objectType": "DataStoreInfoBase"},
			"targetDataStoreCopySettings": []any{},
		}},
	})
	return map[string]any{
		"id":   dpVaultID(sub, rg, v.Name) + "/backupPolicies/" + p.Name,
		"name": p.Name,
		"type": "Microsoft.DataProtection/backupVaults/backupPolicies",
		"properties": map[string]any{
			"objectType":      "BackupPolicy",
			"datasourceTypes": []string{firstNonEmpty(p.DatasourceType, "Microsoft.Compute/disks")},
			"policyRules":     rules,
		},
	}
}

// dpRunning: a job of this status has no end yet.
func dpRunning(status string) bool {
	switch status {
	case "InProgress", "Started", "Cancelling", "Paused":
		return true
	}
	return false
}

// dotnetTimeSpan formats d as .NET writes a TimeSpan ("00:02:11.9724387",
// "1.02:00:00").
func dotnetTimeSpan(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h, m := d/time.Hour, (d%time.Hour)/time.Minute
	s, ticks := (d%time.Minute)/time.Second, (d%time.Second)/100
	out := fmt.Sprintf("%02d:%02d:%02d", h, m, s)
	if ticks > 0 {
		out += fmt.Sprintf(".%07d", ticks)
	}
	if days > 0 {
		out = fmt.Sprintf("%d.%s", days, out)
	}
	return out
}

// dpJobItem is one job as a list or a GET serves it: the values it is
// made of, copied under the server's lock, turned into JSON when the page
// that holds it is written (a vault of thousands of instances lists tens
// of thousands of jobs, of which one page is written).
type dpJobItem struct {
	sub, rg, vault, name string
	j                    DPJob
	// inst is the job's instance as served (shared by its jobs, never
	// changed once built).
	inst    *dpInstanceJSON
	now     time.Time
	details bool
}

func (v *DPVault) jobItem(sub, rg string, inst *dpInstanceJSON, i int, now time.Time, details bool) dpJobItem {
	return dpJobItem{sub: sub, rg: rg, vault: v.Name, name: v.jobName(i), j: v.Jobs[i], inst: inst, now: now, details: details}
}

// MarshalJSON implements json.Marshaler.
func (it dpJobItem) MarshalJSON() ([]byte, error) {
	j := &it.j
	status := firstNonEmpty(j.Status, "Completed")
	category := firstNonEmpty(j.OperationCategory, "Backup")
	op := firstNonEmpty(j.Operation, map[bool]string{true: "Backup", false: "Restore"}[category == "Backup"])
	start, _ := time.Parse(time.RFC3339, j.StartTime)
	end := it.now
	ds := it.inst.Properties.DataSourceInfo
	props := map[string]any{
		"activityID":                 stableUUID("dpactivity", it.vault, it.name),
		"backupInstanceFriendlyName": it.inst.Properties.FriendlyName,
		"backupInstanceId":           it.inst.ID,
		"dataSourceId":               ds.ResourceID,
		"dataSourceLocation":         ds.ResourceLocation,
		"dataSourceName":             ds.ResourceName,
		"dataSourceType":             ds.ResourceType,
		"isUserTriggered":            j.UserTriggered,
		"operation":                  op,
		"operationCategory":          category,
		"policyId":                   it.inst.Properties.PolicyInfo.PolicyID,
		"policyName":                 dpResourceName(it.inst.Properties.PolicyInfo.PolicyID),
		"progressEnabled":            false,
		"sourceResourceGroup":        armSegmentAfter(ds.ResourceID, "resourceGroups"),
		"sourceSubscriptionID":       armSegmentAfter(ds.ResourceID, "subscriptions"),
		"startTime":                  j.StartTime,
		"status":                     status,
		"subscriptionId":             it.sub,
		"supportedActions":           []string{""},
		"vaultName":                  it.vault,
	}
	if !dpRunning(status) && j.EndTime != "" {
		props["endTime"] = j.EndTime
		end, _ = time.Parse(time.RFC3339, j.EndTime)
	}
	if status == "InProgress" || status == "Started" {
		props["supportedActions"] = []string{"Cancellable"}
	}
	props["duration"] = dotnetTimeSpan(end.Sub(start))
	if len(j.Errors) > 0 {
		errs := make([]*dpErrorJSON, len(j.Errors))
		for k := range j.Errors {
			errs[k] = dpError(&j.Errors[k])
		}
		props["errorDetails"] = errs
	}
	if it.details {
		x := map[string]any{
			"additionalDetails": map[string]string{"RetentionTag": "Default", "PolicyRuleName": "BackupSchedule", "TaskId": stableUUID("dpactivity", it.vault, it.name)},
			"subTasks":          []any{map[string]any{"taskId": 1, "taskName": "Trigger Backup", "taskStatus": map[bool]string{true: "Started", false: "Completed"}[dpRunning(status)]}},
		}
		if j.DataTransferredInBytes != nil {
			x["dataTransferredInBytes"] = *j.DataTransferredInBytes
		}
		props["extendedInfo"] = x
	}
	return json.Marshal(map[string]any{
		// The examples write Backupvaults in job ids and types.
		"id":         strings.Replace(dpVaultID(it.sub, it.rg, it.vault), "/backupVaults/", "/Backupvaults/", 1) + "/backupJobs/" + it.name,
		"name":       it.name,
		"type":       "Microsoft.DataProtection/Backupvaults/backupJobs",
		"properties": props,
	})
}

// armSegmentAfter is the segment of id after the one named key.
func armSegmentAfter(id, key string) string {
	parts := strings.Split(strings.Trim(id, "/"), "/")
	for k := 0; k+1 < len(parts); k++ {
		if strings.EqualFold(parts[k], key) {
			return parts[k+1]
		}
	}
	return ""
}

func dpPointResource(sub, rg string, v *DPVault, instance string, p *DPRecoveryPoint, i int) map[string]any {
	name := firstNonEmpty(p.Name, stableUUID("dprp", sub, rg, v.Name, instance, fmt.Sprint(i), p.RecoveryPointTime))
	props := map[string]any{
		"objectType":         "AzureBackupDiscreteRecoveryPoint",
		"friendlyName":       name[:8],
		"recoveryPointTime":  p.RecoveryPointTime,
		"recoveryPointType":  firstNonEmpty(p.Type, "Incremental"),
		"recoveryPointState": firstNonEmpty(p.State, "Completed"),
		"recoveryPointDataStoresDetails": []any{map[string]any{
			"id": stableUUID("dpstore", name), "type": "OperationalStore", "creationTime": p.RecoveryPointTime,
			"metaData": "", "state": "COMMITTED", "visible": true,
		}},
	}
	if p.ExpiryTime != "" {
		props["expiryTime"] = p.ExpiryTime
	}
	return map[string]any{
		"id":         dpVaultID(sub, rg, v.Name) + "/backupInstances/" + instance + "/recoveryPoints/" + name,
		"name":       name,
		"type":       "microsoft.dataprotection/backupvaults/backupInstances/recoveryPoints",
		"properties": props,
	}
}

// ---------------------------------------------------------------------
// Route handlers; s.mu is held.

// dpLookup checks the api-version, the subscription, the resource group
// and the vault. With list, a missing vault is ParentResourceNotFound.
func dpLookup(st *azureState, r *http.Request, p armParams, typ string, list bool) (*DPVault, int, any) {
	return armVaultLookup(st, r, p, st.dpVault(p["sub"], p["rg"], p["vault"]), typ, dpAPIVersions, "Microsoft.DataProtection/backupVaults", list)
}

func armListDPVaultsInSubscription(st *azureState, _ http.ResponseWriter, r *http.Request, p armParams) (int, any) {
	if s, b, ok := rsAPIVersion(r, "backupVaults", DefaultAzureLocation, dpAPIVersions); !ok {
		return s, b
	}
	sb := st.sub(p["sub"])
	if sb == nil {
		return armErr(http.StatusNotFound, "SubscriptionNotFound", fmt.Sprintf("The subscription '%s' could not be found.", p["sub"]))
	}
	items := []any{}
	for _, g := range sb.ResourceGroups {
		for i := range g.DataProtectionVaults {
			items = append(items, dpVaultResource(sb.ID, g.Name, &g.DataProtectionVaults[i]))
		}
	}
	return http.StatusOK, anyList(items)
}

func armListDPVaults(st *azureState, _ http.ResponseWriter, r *http.Request, p armParams) (int, any) {
	return armListGroupVaults(st, r, p, "backupVaults", dpAPIVersions, func(g *AzureResourceGroup) []DPVault { return g.DataProtectionVaults }, dpVaultResource)
}

func armGetDPVault(st *azureState, _ http.ResponseWriter, r *http.Request, p armParams) (int, any) {
	v, s, b := dpLookup(st, r, p, "backupVaults", false)
	if v == nil {
		return s, b
	}
	return http.StatusOK, dpVaultResource(p["sub"], p["rg"], v)
}

func armListDPInstances(st *azureState, _ http.ResponseWriter, r *http.Request, p armParams) (int, any) {
	v, s, b := dpLookup(st, r, p, "backupVaults/backupInstances", true)
	if v == nil {
		return s, b
	}
	return http.StatusOK, armList{n: len(v.Instances), item: func(i int) any { return dpInstanceResource(p["sub"], p["rg"], v, i) }}
}

// dpInstanceLookup is dpLookup and the instance {bi}; with list a missing
// instance is ParentResourceNotFound.
func dpInstanceLookup(st *azureState, r *http.Request, p armParams, typ string, list bool) (*DPVault, int, int, any) {
	v, s, b := dpLookup(st, r, p, typ, true)
	if v == nil {
		return nil, 0, s, b
	}
	if i := v.instanceIndex(p["sub"], p["rg"], p["bi"]); i >= 0 {
		return v, i, 0, nil
	}
	if list {
		s, b := parentNotFound(v.Name + "/" + p["bi"])
		return nil, 0, s, b
	}
	s, b = resourceNotFound(p["rg"], "Microsoft.DataProtection/backupVaults/"+v.Name+"/backupInstances/"+p["bi"])
	return nil, 0, s, b
}

func armGetDPInstance(st *azureState, _ http.ResponseWriter, r *http.Request, p armParams) (int, any) {
	v, i, s, b := dpInstanceLookup(st, r, p, "backupVaults/backupInstances", false)
	if v == nil {
		return s, b
	}
	return http.StatusOK, dpInstanceResource(p["sub"], p["rg"], v, i)
}

func armListDPPoints(st *azureState, _ http.ResponseWriter, r *http.Request, p armParams) (int, any) {
	v, i, s, b := dpInstanceLookup(st, r, p, "backupVaults/backupInstances/recoveryPoints", true)
	if v == nil {
		return s, b
	}
	f, s, b, ok := rsFilter(r, []string{"startDate", "endDate"})
	if !ok {
		return s, b
	}
	var window [2]time.Time
	for k, prop := range []string{"startDate", "endDate"} {
		if val, ok := f[prop]; ok {
			t, err := time.Parse(time.RFC3339, val)
			if err != nil {
				return rsBadFilter(r, fmt.Errorf("%s '%s' is not an RFC 3339 time", prop, val))
			}
			window[k] = t
		}
	}
	name := v.instanceName(p["sub"], p["rg"], i)
	points := v.Instances[i].RecoveryPoints
	// Newest first.
	order := make([]int, len(points))
	for k := range order {
		order[k] = k
	}
	sort.SliceStable(order, func(a, c int) bool { return points[order[a]].RecoveryPointTime > points[order[c]].RecoveryPointTime })
	items := []any{}
	for _, k := range order {
		t, _ := time.Parse(time.RFC3339, points[k].RecoveryPointTime)
		if (!window[0].IsZero() && t.Before(window[0])) || (!window[1].IsZero() && t.After(window[1])) {
			continue
		}
		items = append(items, dpPointResource(p["sub"], p["rg"], v, name, &points[k], k))
	}
	return http.StatusOK, anyList(items)
}

func armGetDPPoint(st *azureState, _ http.ResponseWriter, r *http.Request, p armParams) (int, any) {
	v, i, s, b := dpInstanceLookup(st, r, p, "backupVaults/backupInstances/recoveryPoints", true)
	if v == nil {
		return s, b
	}
	name := v.instanceName(p["sub"], p["rg"], i)
	for k := range v.Instances[i].RecoveryPoints {
		rp := dpPointResource(p["sub"], p["rg"], v, name, &v.Instances[i].RecoveryPoints[k], k)
		if strings.EqualFold(rp["name"].(string), p["rp"]) {
			return http.StatusOK, rp
		}
	}
	return resourceNotFound(p["rg"], "Microsoft.DataProtection/backupVaults/"+v.Name+"/backupInstances/"+name+"/recoveryPoints/"+p["rp"])
}

func armListDPJobs(st *azureState, _ http.ResponseWriter, r *http.Request, p armParams) (int, any) {
	v, s, b := dpLookup(st, r, p, "backupVaults/backupJobs", true)
	if v == nil {
		return s, b
	}
	// Jobs_List takes no $filter: one given is ignored, as any query
	// parameter the operation does not define.
	now := time.Now()
	order := make([]int, len(v.Jobs))
	for k := range order {
		order[k] = k
	}
	starts := make([]time.Time, len(v.Jobs))
	for k := range v.Jobs {
		starts[k], _ = time.Parse(time.RFC3339, v.Jobs[k].StartTime)
	}
	// Newest first, as in the example.
	sort.SliceStable(order, func(a, c int) bool { return starts[order[a]].After(starts[order[c]]) })
	is := v.instances(p["sub"], p["rg"])
	items := make([]any, 0, len(order))
	for _, k := range order {
		items = append(items, v.jobItem(p["sub"], p["rg"], is.find(v.Jobs[k].Instance), k, now, false))
	}
	return http.StatusOK, anyList(items)
}

func armGetDPJob(st *azureState, _ http.ResponseWriter, r *http.Request, p armParams) (int, any) {
	v, s, b := dpLookup(st, r, p, "backupVaults/backupJobs", false)
	if v == nil {
		return s, b
	}
	for i := range v.Jobs {
		if strings.EqualFold(v.jobName(i), p["job"]) {
			// Only the job's own instance is built.
			var inst *dpInstanceJSON
			if k := v.instanceIndex(p["sub"], p["rg"], v.Jobs[i].Instance); k >= 0 {
				it := dpInstanceResource(p["sub"], p["rg"], v, k)
				inst = &it
			}
			return http.StatusOK, v.jobItem(p["sub"], p["rg"], inst, i, time.Now(), true)
		}
	}
	return resourceNotFound(p["rg"], "Microsoft.DataProtection/backupVaults/"+v.Name+"/backupJobs/"+p["job"])
}

func armListDPPolicies(st *azureState, _ http.ResponseWriter, r *http.Request, p armParams) (int, any) {
	v, s, b := dpLookup(st, r, p, "backupVaults/backupPolicies", true)
	if v == nil {
		return s, b
	}
	items := []any{}
	for i := range v.Policies {
		items = append(items, dpPolicyResource(p["sub"], p["rg"], v, &v.Policies[i]))
	}
	return http.StatusOK, anyList(items)
}

func armGetDPPolicy(st *azureState, _ http.ResponseWriter, r *http.Request, p armParams) (int, any) {
	v, s, b := dpLookup(st, r, p, "backupVaults/backupPolicies", false)
	if v == nil {
		return s, b
	}
	if pol := v.policy(p["policy"]); pol != nil {
		return http.StatusOK, dpPolicyResource(p["sub"], p["rg"], v, pol)
	}
	return resourceNotFound(p["rg"], "Microsoft.DataProtection/backupVaults/"+v.Name+"/backupPolicies/"+p["policy"])
}

// anyList pages items already made.
func anyList(items []any) armList {
	return armList{n: len(items), item: func(i int) any { return items[i] }}
}
