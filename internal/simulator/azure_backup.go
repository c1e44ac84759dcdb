package simulator

// Azure Backup (Recovery Services vaults): the vaults, and each vault's
// backup protected items, backup jobs (list and details) and protectable
// items, under /subscriptions/ like the other Resource Manager routes
// (azure_resourcemanager.go: bearer check, paging, faults as "azure").
//
// Written only from these public documents (the Microsoft Learn REST
// reference and the OpenAPI files it is generated from, in
// github.com/Azure/azure-rest-api-specs; "bms.json" below is
// specification/recoveryservicesbackup/resource-manager/Microsoft.RecoveryServices/stable/2025-08-01/bms.json
// and "examples/" its examples folder):
//
//   - Vaults: "Vaults - List By Resource Group" and "Vaults - Get",
//     https://learn.microsoft.com/rest/api/recoveryservices/vaults/list-by-resource-group
//     and .../vaults/get; the shape of
//     specification/recoveryservices/resource-manager/Microsoft.RecoveryServices/RecoveryServices/stable/2025-08-01/examples/GETVault.json
//     (id, name, type, location, tags, sku.name, properties.provisioningState,
//     redundancySettings, securitySettings.softDeleteSettings, ...).
//   - Protected items: "Backup Protected Items - List",
//     https://learn.microsoft.com/rest/api/backup/backup-protected-items/list;
//     bms.json ProtectedItem (protectedItemType, backupManagementType,
//     workloadType, containerName, sourceResourceId, policyId, policyName,
//     lastRecoveryPoint, deferredDeleteTimeInUTC,
//     isScheduledForDeferredDelete, isArchiveEnabled,
//     softDeleteRetentionPeriodInDays, vaultId), AzureIaaSVMProtectedItem
//     and AzureIaaSComputeVMProtectedItem ("Microsoft.Compute/virtualMachines":
//     friendlyName, virtualMachineId, protectionStatus, protectionState,
//     healthStatus, healthDetails, kpisHealths, lastBackupStatus,
//     lastBackupTime, protectedItemDataId, policyType),
//     AzureFileshareProtectedItem ("AzureFileShareProtectedItem"),
//     AzureVmWorkloadProtectedItem and AzureVmWorkloadSQLDatabaseProtectedItem
//     ("AzureVmWorkloadSQLDatabase": serverName, parentName, parentType,
//     lastBackupStatus Healthy/Unhealthy/IRPending, lastBackupErrorDetail,
//     protectedItemDataSourceId, protectedItemHealthStatus),
//     KPIResourceHealthDetails, ResourceHealthDetails, ErrorDetail, and the
//     $filter properties of ProtectedItemQueryObject; examples
//     AzureIaasVm/BackupProtectedItems_List.json and
//     AzureIaasVm/Compute_ProtectedItem_Get.json (the ids, names and
//     containerName forms, lastBackupStatus "Completed" for a VM).
//   - Jobs: "Backup Jobs - List",
//     https://learn.microsoft.com/rest/api/backup/backup-jobs/list, and
//     "Job Details - Get", https://learn.microsoft.com/rest/api/backup/job-details/get;
//     bms.json Job (jobType, entityFriendlyName, backupManagementType,
//     operation, status, startTime, endTime, activityId), JobQueryObject
//     (the $filter properties and the JobStatus and JobOperationType
//     values), AzureIaaSVMJob, AzureIaaSVMJobExtendedInfo (tasksList,
//     propertyBag, progressPercentage, dynamicErrorMessage),
//     AzureIaaSVMJobTaskDetails, AzureIaaSVMErrorInfo (errorCode,
//     errorTitle, errorString, recommendations), AzureStorageJob,
//     AzureStorageErrorInfo, AzureStorageJobExtendedInfo, AzureWorkloadJob,
//     AzureWorkloadErrorInfo, AzureWorkloadJobExtendedInfo; examples
//     Common/ListJobs.json (newest first, "/Subscriptions/" in ids),
//     Common/ListJobsWithAllSupportedFilters.json and
//     Common/ListJobsWithStartTimeAndEndTimeFilters.json (the filter
//     grammar "name eq 'value' and ...", the time form
//     '2016-01-01 00:00:00 AM', and a nextLink keeping $filter with a
//     %24skiptoken), Common/GetJobDetails.json (extendedInfo with
//     tasksList "Take Snapshot"/"Transfer data to vault" and propertyBag
//     "VM Name").
//   - Protectable items: "Backup Protectable Items - List",
//     https://learn.microsoft.com/rest/api/backup/backup-protectable-items/list;
//     bms.json WorkloadProtectableItem (protectableItemType,
//     backupManagementType, workloadType, friendlyName, protectionState
//     NotProtected/Protecting/Protected/ProtectionFailed),
//     IaaSVMProtectableItem and AzureIaaSComputeVMProtectableItem,
//     AzureFileShareProtectableItem ("AzureFileShare"),
//     AzureVmWorkloadProtectableItem and
//     AzureVmWorkloadSQLDatabaseProtectableItem ("SQLDataBase"),
//     BMSPOQueryObject (the $filter properties); example
//     AzureIaasVm/BackupProtectableItems_List.json.
//   - Container names: examples AzureStorage/ProtectionContainers_List.json
//     ("StorageContainer;Storage;{rg};{account}") and
//     AzureWorkload/BackupWorkloadItems_List.json
//     ("VMAppContainer;Compute;{rg};{vm}", "SQLInstance;MSSQLSERVER").
//   - api-versions: the stable folders of the two specifications
//     (backup 2025-02-01, 2025-08-01, 2026-01-01; vaults 2025-02-01,
//     2025-08-01, 2026-01-01, 2026-02-01) and the Learn pages above, which
//     document 2025-08-01. An unsupported one is answered as ARM does,
//     400 NoRegisteredProviderFound "No registered resource provider found
//     for location '...' and API version '...' for type '...'. The
//     supported api-versions are '...'. The supported locations are
//     '...'." (as quoted in e.g. github.com/Azure/azure-cli/issues/28496).
//
// Not in those documents, and so the simulator's own choice: the code of a
// bad $filter (400 InvalidFilter, as the NetApp routes answer), of an
// unknown job (404 ResourceNotFound), the names of file-share and SQL
// items, the kpisHealths key ("BackupHealth" by default), that lists leave
// out extendedInfo while job details carry it, and how a time window
// selects jobs (by startTime, both ends inclusive).

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Azure Backup api-versions and formats.
const (
	// AzureBackupAPIVersion is the api-version of the vaults' backup routes
	// (backupProtectedItems, backupJobs, backupProtectableItems): the
	// newest one the Learn REST reference documents. The simulator also
	// accepts 2025-02-01 and 2026-01-01 (stable in the specification).
	AzureBackupAPIVersion = "2025-08-01"
	// AzureRecoveryServicesAPIVersion is the api-version of the vaults
	// (Microsoft.RecoveryServices/vaults). The simulator also accepts
	// 2025-02-01, 2026-01-01 and 2026-02-01.
	AzureRecoveryServicesAPIVersion = "2025-08-01"
	// AzureBackupFilterTimeFormat is the Go layout of startTime and endTime
	// in a backupJobs $filter (UTC), e.g. '2026-12-01 00:00:00 AM'; the
	// hour is 00 to 12 with AM or PM.
	AzureBackupFilterTimeFormat = "2006-01-02 03:04:05 PM"
	// DefaultAzureRecoveryServicesVault is the vault of the demo scenario.
	DefaultAzureRecoveryServicesVault = "demo-rsv"
)

// Kinds of protected and protectable items.
const (
	RSKindVM        = "vm"         // Azure VM (AzureIaasVM)
	RSKindFileShare = "file_share" // Azure Files share (AzureStorage)
	RSKindSQL       = "sql"        // SQL Server database in an Azure VM (AzureWorkload)
)

var (
	rsBackupAPIVersions = []string{"2025-02-01", AzureBackupAPIVersion, "2026-01-01"}
	rsVaultAPIVersions  = []string{"2025-02-01", AzureRecoveryServicesAPIVersion, "2026-01-01", "2026-02-01"}
)

// RSVault is a Recovery Services vault (the `recovery_services_vaults:` of
// a resource group).
type RSVault struct {
	Name string `yaml:"name"`
	// Location; default DefaultAzureLocation.
	Location string            `yaml:"location"`
	Tags     map[string]string `yaml:"tags"`
	// StorageRedundancy is properties.redundancySettings.
	// standardTierStorageRedundancy: GeoRedundant (default),
	// LocallyRedundant, ZoneRedundant.
	StorageRedundancy string `yaml:"storage_redundancy"`
	// SoftDelete is securitySettings.softDeleteSettings.softDeleteState:
	// Enabled (default), Disabled, AlwaysON.
	SoftDelete       string              `yaml:"soft_delete"`
	ProtectedItems   []RSProtectedItem   `yaml:"protected_items"`
	ProtectableItems []RSProtectableItem `yaml:"protectable_items"`
	Jobs             []RSJob             `yaml:"jobs"`
}

// RSProtectedItem is a backup item of a vault.
type RSProtectedItem struct {
	// Kind: vm (default), file_share or sql.
	Kind string `yaml:"kind"`
	// Name is the friendly name: the VM, the file share or the database.
	Name string `yaml:"name"`
	// ResourceGroup of the protected resource; default the vault's.
	ResourceGroup string `yaml:"resource_group"`
	// StorageAccount holds a file share (required for file_share).
	StorageAccount string `yaml:"storage_account"`
	// Server is the VM running SQL Server (required for sql); Instance
	// the SQL instance, default MSSQLSERVER.
	Server   string `yaml:"server"`
	Instance string `yaml:"instance"`
	// Policy is the backup policy name; default "DefaultPolicy".
	Policy string `yaml:"policy"`
	// ProtectionState: Protected (default), IRPending, ProtectionError,
	// ProtectionStopped, ProtectionPaused, BackupsSuspended, Invalid.
	ProtectionState string `yaml:"protection_state"`
	// ProtectionStatus; default Healthy.
	ProtectionStatus string `yaml:"protection_status"`
	// HealthStatus (vm only): Passed (default), ActionRequired,
	// ActionSuggested, Invalid; HealthDetails are its healthDetails.
	HealthStatus  string           `yaml:"health_status"`
	HealthDetails []RSHealthDetail `yaml:"health_details"`
	// LastBackupStatus as served: for a VM e.g. Completed or Failed, for
	// a file share Healthy or Unhealthy, for sql Healthy, Unhealthy,
	// IRPending or Invalid. Empty leaves it out.
	LastBackupStatus string `yaml:"last_backup_status"`
	// LastBackupTime and LastRecoveryPointTime (lastRecoveryPoint) are
	// RFC 3339.
	LastBackupTime        string `yaml:"last_backup_time"`
	LastRecoveryPointTime string `yaml:"last_recovery_point_time"`
	// LastBackupError (sql only) is lastBackupErrorDetail.
	LastBackupError *RSErrorDetail `yaml:"last_backup_error"`
	// ItemHealthStatus (sql only) is protectedItemHealthStatus: Healthy,
	// Unhealthy, NotReachable, IRPending, Invalid.
	ItemHealthStatus string `yaml:"item_health_status"`
	// KPIsHealths is kpisHealths, keyed by KPI (e.g. BackupHealth).
	KPIsHealths map[string]RSKPIHealth `yaml:"kpis_healths"`
	// ScheduledForDeferredDelete is isScheduledForDeferredDelete (left
	// out when false); DeferredDeleteTime is deferredDeleteTimeInUTC.
	ScheduledForDeferredDelete bool   `yaml:"scheduled_for_deferred_delete"`
	DeferredDeleteTime         string `yaml:"deferred_delete_time"`
	ArchiveEnabled             bool   `yaml:"archive_enabled"`
	SoftDeleteRetentionDays    *int   `yaml:"soft_delete_retention_days"`
}

// RSHealthDetail is a ResourceHealthDetails entry.
type RSHealthDetail struct {
	Code            int      `yaml:"code"`
	Title           string   `yaml:"title"`
	Message         string   `yaml:"message"`
	Recommendations []string `yaml:"recommendations"`
}

// RSKPIHealth is a KPIResourceHealthDetails value.
type RSKPIHealth struct {
	// Status is resourceHealthStatus: Healthy, TransientDegraded,
	// PersistentDegraded, TransientUnhealthy, PersistentUnhealthy, Invalid.
	Status  string           `yaml:"status"`
	Details []RSHealthDetail `yaml:"details"`
}

// RSErrorDetail is an ErrorDetail.
type RSErrorDetail struct {
	Code            string   `yaml:"code"`
	Message         string   `yaml:"message"`
	Recommendations []string `yaml:"recommendations"`
}

// RSProtectableItem is an item that can be backed up.
type RSProtectableItem struct {
	// Kind: vm (default), file_share or sql; Name and the rest as for
	// RSProtectedItem.
	Kind           string `yaml:"kind"`
	Name           string `yaml:"name"`
	ResourceGroup  string `yaml:"resource_group"`
	StorageAccount string `yaml:"storage_account"`
	Server         string `yaml:"server"`
	Instance       string `yaml:"instance"`
	// ProtectionState: NotProtected (default), Protecting, Protected,
	// ProtectionFailed, Invalid.
	ProtectionState string `yaml:"protection_state"`
}

// RSJob is a backup job of a vault.
type RSJob struct {
	// Name is the job's name (a GUID); default a stable UUID.
	Name string `yaml:"name"`
	// Item is the name of a protected item of the vault, which gives the
	// job's type, entity and container; else Kind (default vm) and
	// Entity name them.
	Item   string `yaml:"item"`
	Kind   string `yaml:"kind"`
	Entity string `yaml:"entity"`
	// Operation; default Backup. Status: Completed (default),
	// CompletedWithWarnings, InProgress, Cancelling, Failed, Cancelled.
	Operation string `yaml:"operation"`
	Status    string `yaml:"status"`
	// StartTime and EndTime are RFC 3339; EndTime is left out while the
	// job runs (InProgress, Cancelling), whose duration runs to now.
	StartTime string `yaml:"start_time"`
	EndTime   string `yaml:"end_time"`
	// ProgressPercentage of a running VM job (details only).
	ProgressPercentage *float64 `yaml:"progress_percentage"`
	// Errors are errorDetails.
	Errors []RSJobError `yaml:"errors"`
	// UserTriggered is isUserTriggered (VM and file-share jobs).
	UserTriggered bool `yaml:"user_triggered"`
	// ActivityID; default a stable UUID.
	ActivityID string `yaml:"activity_id"`
}

// RSJobError is an errorDetails entry (errorCode, errorTitle, errorString,
// recommendations; file-share errors have no title).
type RSJobError struct {
	Code            int      `yaml:"code"`
	Title           string   `yaml:"title"`
	Message         string   `yaml:"message"`
	Recommendations []string `yaml:"recommendations"`
}

// The documented enumerations (bms.json).
var (
	rsBackupManagementTypes = []string{"Invalid", "AzureIaasVM", "MAB", "DPM", "AzureBackupServer", "AzureSql", "AzureStorage", "AzureWorkload", "DefaultBackup"}
	rsWorkloadTypes         = []string{"Invalid", "VM", "FileFolder", "AzureSqlDb", "SQLDB", "Exchange", "Sharepoint", "VMwareVM", "SystemState", "Client", "GenericDataSource", "SQLDataBase", "AzureFileShare", "SAPHanaDatabase", "SAPAseDatabase", "SAPHanaDBInstance"}
	rsJobStatuses           = []string{"Invalid", "InProgress", "Completed", "Failed", "CompletedWithWarnings", "Cancelled", "Cancelling"}
	rsJobOperations         = []string{"Invalid", "Register", "UnRegister", "ConfigureBackup", "Backup", "Restore", "DisableBackup", "DeleteBackupData", "CrossRegionRestore", "Undelete", "UpdateCustomerManagedKey"}
	rsHealthStates          = []string{"Passed", "ActionRequired", "ActionSuggested", "Invalid"}
	rsProtectionStates      = []string{"Invalid", "IRPending", "Protected", "ProtectionError", "ProtectionStopped", "ProtectionPaused", "BackupsSuspended"}
	rsProtectableStates     = []string{"Invalid", "NotProtected", "Protecting", "Protected", "ProtectionFailed"}
	rsKPIStatuses           = []string{"Healthy", "TransientDegraded", "PersistentDegraded", "TransientUnhealthy", "PersistentUnhealthy", "Invalid"}
	rsWorkloadBackupStatus  = []string{"Invalid", "Healthy", "Unhealthy", "IRPending"}
	rsItemHealthStatuses    = []string{"Invalid", "Healthy", "Unhealthy", "NotReachable", "IRPending"}
)

// rsKindInfo is what a kind of item is called in the API.
type rsKindInfo struct {
	backupManagementType, workloadType string
	protectedItemType, protectableType string
	jobType                            string
}

var rsKinds = map[string]rsKindInfo{
	RSKindVM:        {"AzureIaasVM", "VM", "Microsoft.Compute/virtualMachines", "Microsoft.Compute/virtualMachines", "AzureIaaSVMJob"},
	RSKindFileShare: {"AzureStorage", "AzureFileShare", "AzureFileShareProtectedItem", "AzureFileShare", "AzureStorageJob"},
	RSKindSQL:       {"AzureWorkload", "SQLDataBase", "AzureVmWorkloadSQLDatabase", "SQLDataBase", "AzureWorkloadJob"},
}

func rsKind(k string) string { return firstNonEmpty(strings.ToLower(k), RSKindVM) }

func init() {
	armRoutes = append(armRoutes,
		armRoute{h: armListRSVaults, segs: strings.Split(rsBase, "/")},
		armRoute{h: armGetRSVault, segs: strings.Split(rsBase+"/{vault}", "/")},
		armRoute{h: armListRSProtectedItems, segs: strings.Split(rsBase+"/{vault}/backupProtectedItems", "/")},
		armRoute{h: armListRSJobs, segs: strings.Split(rsBase+"/{vault}/backupJobs", "/")},
		armRoute{h: armGetRSJob, segs: strings.Split(rsBase+"/{vault}/backupJobs/{job}", "/")},
		armRoute{h: armListRSProtectable, segs: strings.Split(rsBase+"/{vault}/backupProtectableItems", "/")},
	)
}

const rsBase = "subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults"

// ---------------------------------------------------------------------
// Scenario checks, lookups and mutators.

func rsOneOf(what, v string, allowed []string) error {
	if v == "" || slices.Contains(allowed, v) {
		return nil
	}
	return fmt.Errorf("%s %q: want one of %s", what, v, strings.Join(allowed, ", "))
}

func rsTime(what, v string) error {
	if v == "" {
		return nil
	}
	if _, err := time.Parse(time.RFC3339, v); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// validateRecoveryServices checks the recovery_services_vaults of every
// resource group.
func (sc *AzureScenario) validateRecoveryServices() error {
	return validateVaults(sc, "recovery_services_vaults", func(g *AzureResourceGroup) []RSVault { return g.RecoveryServicesVaults },
		func(_, _ string, v *RSVault) (string, error) { return v.Name, v.validate() })
}

func (v *RSVault) validate() error {
	if v.Name == "" {
		return fmt.Errorf("no name")
	}
	names := map[string]bool{}
	for i, it := range v.ProtectedItems {
		k := rsKind(it.Kind)
		errs := []error{rsOneOf("protection_state", it.ProtectionState, rsProtectionStates),
			rsOneOf("health_status", it.HealthStatus, rsHealthStates),
			rsTime("last_backup_time", it.LastBackupTime), rsTime("last_recovery_point_time", it.LastRecoveryPointTime),
			rsTime("deferred_delete_time", it.DeferredDeleteTime)}
		if _, ok := rsKinds[k]; !ok {
			errs = append(errs, fmt.Errorf("kind %q: want %s, %s or %s", it.Kind, RSKindVM, RSKindFileShare, RSKindSQL))
		}
		switch {
		case it.Name == "":
			errs = append(errs, fmt.Errorf("no name"))
		case names[strings.ToLower(it.Name)]:
			errs = append(errs, fmt.Errorf("duplicate name"))
		case k == RSKindFileShare && it.StorageAccount == "":
			errs = append(errs, fmt.Errorf("a file_share needs storage_account"))
		case k == RSKindSQL && it.Server == "":
			errs = append(errs, fmt.Errorf("a sql item needs server"))
		}
		if k == RSKindSQL {
			errs = append(errs, rsOneOf("last_backup_status", it.LastBackupStatus, rsWorkloadBackupStatus),
				rsOneOf("item_health_status", it.ItemHealthStatus, rsItemHealthStatuses))
		}
		for key, h := range it.KPIsHealths {
			errs = append(errs, rsOneOf("kpis_healths."+key+".status", h.Status, rsKPIStatuses))
		}
		names[strings.ToLower(it.Name)] = true
		if err := firstErr(errs); err != nil {
			return fmt.Errorf("protected_items[%d] %s: %w", i, it.Name, err)
		}
	}
	for i, it := range v.ProtectableItems {
		k := rsKind(it.Kind)
		err := rsOneOf("protection_state", it.ProtectionState, rsProtectableStates)
		if _, ok := rsKinds[k]; !ok {
			err = fmt.Errorf("kind %q: want %s, %s or %s", it.Kind, RSKindVM, RSKindFileShare, RSKindSQL)
		} else if it.Name == "" {
			err = fmt.Errorf("no name")
		} else if k == RSKindFileShare && it.StorageAccount == "" {
			err = fmt.Errorf("a file_share needs storage_account")
		} else if k == RSKindSQL && it.Server == "" {
			err = fmt.Errorf("a sql item needs server")
		}
		if err != nil {
			return fmt.Errorf("protectable_items[%d] %s: %w", i, it.Name, err)
		}
	}
	items := make(map[string]bool, len(v.ProtectedItems))
	for _, it := range v.ProtectedItems {
		items[foldKey(it.Name)] = true
	}
	return validateJobs(len(v.Jobs), v.jobName, func(i int) []error {
		j := &v.Jobs[i]
		errs := []error{rsOneOf("status", j.Status, rsJobStatuses), rsOneOf("operation", j.Operation, rsJobOperations),
			rsTime("start_time", j.StartTime), rsTime("end_time", j.EndTime)}
		if j.StartTime == "" {
			errs = append(errs, fmt.Errorf("no start_time"))
		}
		if j.Item != "" && !items[foldKey(j.Item)] {
			errs = append(errs, fmt.Errorf("item %q is not a protected item of the vault", j.Item))
		} else if _, ok := rsKinds[rsKind(j.Kind)]; j.Item == "" && !ok {
			errs = append(errs, fmt.Errorf("kind %q: want %s, %s or %s", j.Kind, RSKindVM, RSKindFileShare, RSKindSQL))
		}
		return errs
	})
}

// jobName is the name of the i-th job: its Name, else a UUID stable for
// the vault, the index and the start time.
func (v *RSVault) jobName(i int) string {
	j := &v.Jobs[i]
	if j.Name != "" {
		return j.Name
	}
	return stableUUID("rsjob", v.Name, strconv.Itoa(i), j.Item, j.Entity, j.StartTime)
}

// rsVault finds a vault; the caller holds s.mu.
func (st *azureState) rsVault(sub, rg, name string) *RSVault {
	g := st.rg(sub, rg)
	if g == nil {
		return nil
	}
	return st.index().rsVaults[azChild[AzureResourceGroup]{g, foldKey(name)}]
}

// UpdateRSVault calls fn with the named Recovery Services vault, under the
// server's lock.
func (s *Server) UpdateRSVault(sub, rg, vault string, fn func(*RSVault)) error {
	st := s.azureState()
	s.mu.Lock()
	defer s.mu.Unlock()
	v := st.rsVault(sub, rg, vault)
	if v == nil {
		return fmt.Errorf("azure: no recovery services vault %s in %s/%s", vault, sub, rg)
	}
	fn(v)
	st.changed()
	return nil
}

// AddRSJob appends a job to a Recovery Services vault, creating the
// subscription, resource group and vault when missing.
func (s *Server) AddRSJob(sub, rg, vault string, j RSJob) {
	st := s.azureState()
	s.mu.Lock()
	defer s.mu.Unlock()
	defer st.changed()
	g := st.ensureRG(sub, rg)
	if v := st.rsVault(sub, rg, vault); v != nil {
		v.Jobs = append(v.Jobs, j)
		return
	}
	g.RecoveryServicesVaults = append(g.RecoveryServicesVaults, RSVault{Name: vault, Jobs: []RSJob{j}})
}

// ---------------------------------------------------------------------
// Resource JSON.

func rsVaultID(sub, rg, vault string) string {
	return "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.RecoveryServices/vaults/" + vault
}

type rsVaultJSON struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags,omitempty"`
	SKU        map[string]string `json:"sku"`
	Properties map[string]any    `json:"properties"`
}

func rsVaultLocation(v *RSVault) string { return firstNonEmpty(v.Location, DefaultAzureLocation) }

func rsVaultResource(sub, rg string, v *RSVault) rsVaultJSON {
	return rsVaultJSON{
		ID: rsVaultID(sub, rg, v.Name), Name: v.Name, Type: "Microsoft.RecoveryServices/vaults",
		Location: rsVaultLocation(v), Tags: v.Tags, SKU: map[string]string{"name": "Standard"},
		Properties: map[string]any{
			"provisioningState":                   "Succeeded",
			"privateEndpointStateForBackup":       "None",
			"privateEndpointStateForSiteRecovery": "None",
			"publicNetworkAccess":                 "Enabled",
			"secureScore":                         "None",
			"bcdrSecurityLevel":                   "Poor",
			"redundancySettings": map[string]any{
				"standardTierStorageRedundancy": firstNonEmpty(v.StorageRedundancy, "GeoRedundant"),
				"crossRegionRestore":            "Disabled",
			},
			"securitySettings": map[string]any{
				"softDeleteSettings": map[string]any{
					"softDeleteState":                 firstNonEmpty(v.SoftDelete, "Enabled"),
					"softDeleteRetentionPeriodInDays": 14,
					"enhancedSecurityState":           "Enabled",
				},
				"immutabilitySettings":   map[string]any{"state": "Disabled"},
				"multiUserAuthorization": "Disabled",
			},
		},
	}
}

// rsNames are the container, item and containerName of an item, and the
// ARM ID of its source resource.
type rsNames struct {
	container, item, containerName, source string
}

func rsItemNames(sub, vaultRG, kind, name, rg, account, server, instance string) rsNames {
	rg = firstNonEmpty(rg, vaultRG)
	switch kind {
	case RSKindFileShare:
		return rsNames{
			container:     "StorageContainer;Storage;" + rg + ";" + account,
			item:          "AzureFileShare;" + name,
			containerName: "Storage;" + rg + ";" + account,
			source:        "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.Storage/storageAccounts/" + account,
		}
	case RSKindSQL:
		return rsNames{
			container:     "VMAppContainer;Compute;" + rg + ";" + server,
			item:          "SQLDataBase;" + firstNonEmpty(instance, "MSSQLSERVER") + ";" + name,
			containerName: "Compute;" + rg + ";" + server,
			source:        "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.Compute/virtualMachines/" + server,
		}
	default:
		return rsNames{
			container:     "IaasVMContainer;iaasvmcontainerv2;" + rg + ";" + name,
			item:          "VM;iaasvmcontainerv2;" + rg + ";" + name,
			containerName: "iaasvmcontainerv2;" + rg + ";" + name,
			source:        "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.Compute/virtualMachines/" + name,
		}
	}
}

type rsHealthDetailJSON struct {
	Code            int      `json:"code"`
	Title           string   `json:"title"`
	Message         string   `json:"message"`
	Recommendations []string `json:"recommendations"`
}

type rsKPIJSON struct {
	ResourceHealthStatus  string               `json:"resourceHealthStatus"`
	ResourceHealthDetails []rsHealthDetailJSON `json:"resourceHealthDetails"`
}

type rsErrorDetailJSON struct {
	Code            string   `json:"code"`
	Message         string   `json:"message"`
	Recommendations []string `json:"recommendations"`
}

func rsHealthDetails(ds []RSHealthDetail) []rsHealthDetailJSON {
	out := []rsHealthDetailJSON{}
	for _, d := range ds {
		out = append(out, rsHealthDetailJSON{Code: d.Code, Title: d.Title, Message: d.Message, Recommendations: orEmpty(d.Recommendations)})
	}
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// rsItemProps is the properties of every kind of protected item; the
// fields of other kinds are left out.
type rsItemProps struct {
	ProtectedItemType               string               `json:"protectedItemType"`
	BackupManagementType            string               `json:"backupManagementType"`
	WorkloadType                    string               `json:"workloadType"`
	ContainerName                   string               `json:"containerName"`
	SourceResourceID                string               `json:"sourceResourceId"`
	PolicyID                        string               `json:"policyId,omitempty"`
	PolicyName                      string               `json:"policyName,omitempty"`
	LastRecoveryPoint               string               `json:"lastRecoveryPoint,omitempty"`
	IsScheduledForDeferredDelete    bool                 `json:"isScheduledForDeferredDelete,omitempty"`
	DeferredDeleteTimeInUTC         string               `json:"deferredDeleteTimeInUTC,omitempty"`
	IsArchiveEnabled                bool                 `json:"isArchiveEnabled,omitempty"`
	SoftDeleteRetentionPeriodInDays *int                 `json:"softDeleteRetentionPeriodInDays,omitempty"`
	VaultID                         string               `json:"vaultId"`
	FriendlyName                    string               `json:"friendlyName"`
	ProtectionStatus                string               `json:"protectionStatus"`
	ProtectionState                 string               `json:"protectionState"`
	LastBackupStatus                string               `json:"lastBackupStatus,omitempty"`
	LastBackupTime                  string               `json:"lastBackupTime,omitempty"`
	KPIsHealths                     map[string]rsKPIJSON `json:"kpisHealths,omitempty"`
	// AzureIaaSVMProtectedItem.
	VirtualMachineID    string               `json:"virtualMachineId,omitempty"`
	HealthStatus        string               `json:"healthStatus,omitempty"`
	HealthDetails       []rsHealthDetailJSON `json:"healthDetails,omitempty"`
	ProtectedItemDataID string               `json:"protectedItemDataId,omitempty"`
	PolicyType          string               `json:"policyType,omitempty"`
	// AzureVmWorkloadProtectedItem.
	ServerName                string             `json:"serverName,omitempty"`
	ParentName                string             `json:"parentName,omitempty"`
	ParentType                string             `json:"parentType,omitempty"`
	LastBackupErrorDetail     *rsErrorDetailJSON `json:"lastBackupErrorDetail,omitempty"`
	ProtectedItemDataSourceID string             `json:"protectedItemDataSourceId,omitempty"`
	ProtectedItemHealthStatus string             `json:"protectedItemHealthStatus,omitempty"`
}

type rsResource struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Properties any    `json:"properties"`
}

func stableNumber(parts ...string) string {
	h := fnv.New64a()
	h.Write([]byte(strings.ToLower(strings.Join(parts, "/"))))
	return strconv.FormatUint(h.Sum64()>>1, 10)
}

func rsProtectedItemResource(sub, rg string, v *RSVault, it *RSProtectedItem) (rsResource, rsNames) {
	kind := rsKind(it.Kind)
	info := rsKinds[kind]
	n := rsItemNames(sub, rg, kind, it.Name, it.ResourceGroup, it.StorageAccount, it.Server, it.Instance)
	vaultID := rsVaultID(sub, rg, v.Name)
	policy := firstNonEmpty(it.Policy, "DefaultPolicy")
	p := rsItemProps{
		ProtectedItemType:               info.protectedItemType,
		BackupManagementType:            info.backupManagementType,
		WorkloadType:                    info.workloadType,
		ContainerName:                   n.containerName,
		SourceResourceID:                n.source,
		PolicyID:                        vaultID + "/backupPolicies/" + policy,
		PolicyName:                      policy,
		LastRecoveryPoint:               it.LastRecoveryPointTime,
		IsScheduledForDeferredDelete:    it.ScheduledForDeferredDelete,
		DeferredDeleteTimeInUTC:         it.DeferredDeleteTime,
		IsArchiveEnabled:                it.ArchiveEnabled,
		SoftDeleteRetentionPeriodInDays: it.SoftDeleteRetentionDays,
		VaultID:                         vaultID,
		FriendlyName:                    it.Name,
		ProtectionStatus:                firstNonEmpty(it.ProtectionStatus, "Healthy"),
		ProtectionState:                 firstNonEmpty(it.ProtectionState, "Protected"),
		LastBackupStatus:                it.LastBackupStatus,
		LastBackupTime:                  it.LastBackupTime,
	}
	if len(it.KPIsHealths) > 0 {
		p.KPIsHealths = map[string]rsKPIJSON{}
		for k, h := range it.KPIsHealths {
			p.KPIsHealths[k] = rsKPIJSON{ResourceHealthStatus: h.Status, ResourceHealthDetails: rsHealthDetails(h.Details)}
		}
	}
	switch kind {
	case RSKindVM:
		p.VirtualMachineID = n.source
		p.HealthStatus = firstNonEmpty(it.HealthStatus, "Passed")
		if len(it.HealthDetails) > 0 {
			p.HealthDetails = rsHealthDetails(it.HealthDetails)
		}
		p.ProtectedItemDataID = stableNumber(vaultID, n.item)
		p.PolicyType = "V2"
	case RSKindSQL:
		p.ServerName = it.Server
		p.ParentName = firstNonEmpty(it.Instance, "MSSQLSERVER")
		p.ParentType = "AzureVmWorkloadSQLInstance"
		p.ProtectedItemDataSourceID = stableNumber(vaultID, n.item)
		p.ProtectedItemHealthStatus = it.ItemHealthStatus
		if e := it.LastBackupError; e != nil {
			p.LastBackupErrorDetail = &rsErrorDetailJSON{Code: e.Code, Message: e.Message, Recommendations: orEmpty(e.Recommendations)}
		}
	}
	return rsResource{
		ID:         vaultID + "/backupFabrics/Azure/protectionContainers/" + n.container + "/protectedItems/" + n.item,
		Name:       n.item,
		Type:       "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems",
		Properties: p,
	}, n
}

type rsProtectableProps struct {
	ProtectableItemType  string `json:"protectableItemType"`
	BackupManagementType string `json:"backupManagementType"`
	WorkloadType         string `json:"workloadType"`
	FriendlyName         string `json:"friendlyName"`
	ProtectionState      string `json:"protectionState"`
	// IaaSVMProtectableItem.
	VirtualMachineID      string `json:"virtualMachineId,omitempty"`
	VirtualMachineVersion string `json:"virtualMachineVersion,omitempty"`
	// AzureFileShareProtectableItem.
	ParentContainerFabricID     string `json:"parentContainerFabricId,omitempty"`
	ParentContainerFriendlyName string `json:"parentContainerFriendlyName,omitempty"`
	AzureFileShareType          string `json:"azureFileShareType,omitempty"`
	// AzureVmWorkloadProtectableItem.
	ParentName        string `json:"parentName,omitempty"`
	ServerName        string `json:"serverName,omitempty"`
	IsAutoProtectable *bool  `json:"isAutoProtectable,omitempty"`
	IsProtectable     *bool  `json:"isProtectable,omitempty"`
}

func rsProtectableResource(sub, rg string, v *RSVault, it *RSProtectableItem) (rsResource, rsNames) {
	kind := rsKind(it.Kind)
	info := rsKinds[kind]
	n := rsItemNames(sub, rg, kind, it.Name, it.ResourceGroup, it.StorageAccount, it.Server, it.Instance)
	p := rsProtectableProps{
		ProtectableItemType:  info.protectableType,
		BackupManagementType: info.backupManagementType,
		WorkloadType:         info.workloadType,
		FriendlyName:         it.Name,
		ProtectionState:      firstNonEmpty(it.ProtectionState, "NotProtected"),
	}
	switch kind {
	case RSKindVM:
		p.VirtualMachineID = n.source
		p.VirtualMachineVersion = "Compute"
	case RSKindFileShare:
		p.ParentContainerFabricID = n.source
		p.ParentContainerFriendlyName = it.StorageAccount
		p.AzureFileShareType = "XSMB"
	case RSKindSQL:
		p.ParentName = firstNonEmpty(it.Instance, "MSSQLSERVER")
		p.ServerName = it.Server
		p.IsAutoProtectable = azPtr(false)
		p.IsProtectable = azPtr(true)
	}
	return rsResource{
		ID:         rsVaultID(sub, rg, v.Name) + "/backupFabrics/Azure/protectionContainers/" + n.container + "/protectableItems/" + n.item,
		Name:       n.item,
		Type:       "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectableItems",
		Properties: p,
	}, n
}

type rsJobErrorJSON struct {
	ErrorCode         int      `json:"errorCode"`
	ErrorTitle        string   `json:"errorTitle,omitempty"`
	ErrorString       string   `json:"errorString"`
	Recommendations   []string `json:"recommendations"`
	AdditionalDetails string   `json:"additionalDetails,omitempty"`
}

type rsTaskJSON struct {
	TaskID             string   `json:"taskId"`
	StartTime          string   `json:"startTime,omitempty"`
	EndTime            string   `json:"endTime,omitempty"`
	Duration           string   `json:"duration"`
	Status             string   `json:"status"`
	ProgressPercentage *float64 `json:"progressPercentage,omitempty"`
}

type rsJobExtendedInfo struct {
	TasksList           []rsTaskJSON      `json:"tasksList,omitempty"`
	PropertyBag         map[string]string `json:"propertyBag,omitempty"`
	ProgressPercentage  *float64          `json:"progressPercentage,omitempty"`
	DynamicErrorMessage string            `json:"dynamicErrorMessage,omitempty"`
}

type rsJobProps struct {
	JobType              string             `json:"jobType"`
	EntityFriendlyName   string             `json:"entityFriendlyName"`
	BackupManagementType string             `json:"backupManagementType"`
	Operation            string             `json:"operation"`
	Status               string             `json:"status"`
	StartTime            string             `json:"startTime"`
	EndTime              string             `json:"endTime,omitempty"`
	ActivityID           string             `json:"activityId"`
	Duration             string             `json:"duration"`
	ActionsInfo          []string           `json:"actionsInfo,omitempty"`
	ErrorDetails         []rsJobErrorJSON   `json:"errorDetails,omitempty"`
	ExtendedInfo         *rsJobExtendedInfo `json:"extendedInfo,omitempty"`
	// AzureIaaSVMJob.
	VirtualMachineVersion string `json:"virtualMachineVersion,omitempty"`
	ContainerName         string `json:"containerName,omitempty"`
	IsUserTriggered       *bool  `json:"isUserTriggered,omitempty"`
	// AzureStorageJob.
	StorageAccountName string `json:"storageAccountName,omitempty"`
	// AzureWorkloadJob.
	WorkloadType string `json:"workloadType,omitempty"`
}

// rsJobView is a job with what it is about resolved.
type rsJobView struct {
	j                    *RSJob
	name, kind, entity   string
	status, operation    string
	start, end           time.Time
	container, storageAc string
}

func rsRunning(status string) bool { return status == "InProgress" || status == "Cancelling" }

// rsJobView is the view of the i-th job of v; the caller holds s.mu.
func (st *azureState) rsJobView(sub, rg string, v *RSVault, i int) rsJobView {
	j := &v.Jobs[i]
	jv := rsJobView{j: j, name: v.jobName(i), kind: rsKind(j.Kind), entity: j.Entity,
		status: firstNonEmpty(j.Status, "Completed"), operation: firstNonEmpty(j.Operation, "Backup")}
	if it := st.rsItem(v, j.Item); it != nil {
		jv.kind = rsKind(it.Kind)
		jv.entity = firstNonEmpty(j.Entity, it.Name)
		jv.container = rsItemNames(sub, rg, jv.kind, it.Name, it.ResourceGroup, it.StorageAccount, it.Server, it.Instance).containerName
		jv.storageAc = it.StorageAccount
	}
	jv.start, _ = time.Parse(time.RFC3339, j.StartTime)
	if !rsRunning(jv.status) {
		jv.end, _ = time.Parse(time.RFC3339, j.EndTime)
	}
	return jv
}

// isoDuration formats d as an ISO 8601 duration as .NET writes a TimeSpan
// (e.g. PT9.8782791S, PT1H2M3S, P1DT2H).
func isoDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Truncate(100 * time.Nanosecond)
	var b strings.Builder
	b.WriteString("P")
	days := d / (24 * time.Hour)
	if days > 0 {
		fmt.Fprintf(&b, "%dD", days)
		d -= days * 24 * time.Hour
	}
	b.WriteString("T")
	h := d / time.Hour
	d -= h * time.Hour
	m := d / time.Minute
	d -= m * time.Minute
	if h > 0 {
		fmt.Fprintf(&b, "%dH", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dM", m)
	}
	if d > 0 || (days == 0 && h == 0 && m == 0) {
		b.WriteString(strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "S")
	}
	s := b.String()
	return strings.TrimSuffix(s, "T")
}

func rsJobResource(sub, rg string, v *RSVault, jv rsJobView, details bool, now time.Time) rsResource {
	info := rsKinds[jv.kind]
	j := jv.j
	p := rsJobProps{
		JobType:              info.jobType,
		EntityFriendlyName:   jv.entity,
		BackupManagementType: info.backupManagementType,
		Operation:            jv.operation,
		Status:               jv.status,
		StartTime:            j.StartTime,
		ActivityID:           firstNonEmpty(j.ActivityID, stableUUID("rsactivity", v.Name, jv.name)),
	}
	end := now
	if !rsRunning(jv.status) && j.EndTime != "" {
		p.EndTime = j.EndTime
		end = jv.end
	}
	p.Duration = isoDuration(end.Sub(jv.start))
	if jv.status == "InProgress" {
		p.ActionsInfo = []string{"Cancellable"}
	}
	for _, e := range j.Errors {
		je := rsJobErrorJSON{ErrorCode: e.Code, ErrorTitle: e.Title, ErrorString: e.Message, Recommendations: orEmpty(e.Recommendations)}
		if jv.kind == RSKindFileShare {
			je.ErrorTitle = "" // AzureStorageErrorInfo has no title
		}
		p.ErrorDetails = append(p.ErrorDetails, je)
	}
	switch jv.kind {
	case RSKindVM:
		p.VirtualMachineVersion = "Compute"
		p.ContainerName = jv.container
		p.IsUserTriggered = azPtr(j.UserTriggered)
	case RSKindFileShare:
		p.StorageAccountName = jv.storageAc
		p.IsUserTriggered = azPtr(j.UserTriggered)
	case RSKindSQL:
		p.WorkloadType = rsKinds[RSKindSQL].workloadType
	}
	if details {
		x := &rsJobExtendedInfo{}
		if len(j.Errors) > 0 && (jv.status == "Failed" || jv.status == "CompletedWithWarnings") {
			x.DynamicErrorMessage = j.Errors[0].Message
		}
		if jv.kind == RSKindVM {
			x.PropertyBag = map[string]string{"VM Name": jv.entity}
			if jv.operation == "Backup" {
				x.TasksList = rsVMTasks(jv, end, j.ProgressPercentage)
			}
			if rsRunning(jv.status) && j.ProgressPercentage != nil {
				x.ProgressPercentage = j.ProgressPercentage
			}
		}
		p.ExtendedInfo = x
	}
	return rsResource{
		// The service writes "/Subscriptions/" in job ids (the examples).
		ID:         "/Subscriptions/" + strings.TrimPrefix(rsVaultID(sub, rg, v.Name), "/subscriptions/") + "/backupJobs/" + jv.name,
		Name:       jv.name,
		Type:       "Microsoft.RecoveryServices/vaults/backupJobs",
		Properties: p,
	}
}

// rsVMTasks are the two tasks of a VM backup (GetJobDetails.json): the
// snapshot takes the first tenth of the job.
func rsVMTasks(jv rsJobView, end time.Time, pct *float64) []rsTaskJSON {
	snapEnd := jv.start.Add(end.Sub(jv.start) / 10)
	snap := rsTaskJSON{TaskID: "Take Snapshot", StartTime: jv.j.StartTime, EndTime: snapEnd.UTC().Format(time.RFC3339),
		Duration: isoDuration(snapEnd.Sub(jv.start)), Status: "Completed"}
	xfer := rsTaskJSON{TaskID: "Transfer data to vault", StartTime: snap.EndTime, Duration: isoDuration(end.Sub(snapEnd)), Status: jv.status}
	switch jv.status {
	case "InProgress":
		xfer.ProgressPercentage = pct
	case "Cancelling":
	case "CompletedWithWarnings":
		xfer.Status = "Completed"
		xfer.EndTime = jv.j.EndTime
	default:
		xfer.EndTime = jv.j.EndTime
	}
	return []rsTaskJSON{snap, xfer}
}

// ---------------------------------------------------------------------
// $filter: "name eq 'value' [and name eq 'value' ...]".

type odataClause struct{ name, value string }

func parseODataAnd(f string) ([]odataClause, error) {
	var out []odataClause
	i := 0
	skip := func() int {
		n := 0
		for i < len(f) && f[i] == ' ' {
			i++
			n++
		}
		return n
	}
	word := func() string {
		st := i
		for i < len(f) && (f[i] >= 'a' && f[i] <= 'z' || f[i] >= 'A' && f[i] <= 'Z' || f[i] >= '0' && f[i] <= '9' || f[i] == '_') {
			i++
		}
		return f[st:i]
	}
	skip()
	for {
		name := word()
		if name == "" {
			return nil, fmt.Errorf("expected a property name at offset %d", i)
		}
		if skip() == 0 {
			return nil, fmt.Errorf("expected ' eq ' after %s", name)
		}
		if op := word(); !strings.EqualFold(op, "eq") {
			return nil, fmt.Errorf("operator %q is not supported; use eq", op)
		}
		if skip() == 0 || i >= len(f) || f[i] != '\'' {
			return nil, fmt.Errorf("expected a quoted value after %s eq", name)
		}
		i++
		var val strings.Builder
		closed := false
		for i < len(f) {
			if f[i] == '\'' {
				if i+1 < len(f) && f[i+1] == '\'' {
					val.WriteByte('\'')
					i += 2
					continue
				}
				i++
				closed = true
				break
			}
			val.WriteByte(f[i])
			i++
		}
		if !closed {
			return nil, fmt.Errorf("unterminated value of %s", name)
		}
		out = append(out, odataClause{name, val.String()})
		sp := skip()
		if i >= len(f) {
			return out, nil
		}
		if and := word(); sp == 0 || !strings.EqualFold(and, "and") {
			return nil, fmt.Errorf("expected ' and ' at offset %d", i-len(and))
		}
		if skip() == 0 {
			return nil, fmt.Errorf("expected a clause after and")
		}
	}
}

// rsFilter parses r's $filter into property (as given in props, by case
// insensitive name) -> value; each property at most once.
func rsFilter(r *http.Request, props []string) (map[string]string, int, any, bool) {
	f := r.URL.Query().Get("$filter")
	out := map[string]string{}
	if strings.TrimSpace(f) == "" {
		return out, 0, nil, true
	}
	bad := func(why string) (map[string]string, int, any, bool) {
		s, b := armErr(http.StatusBadRequest, "InvalidFilter", fmt.Sprintf(
			"The $filter '%s' is invalid: %s. Supported: %s, each as name eq 'value', joined by and.", f, why, strings.Join(props, ", ")))
		return nil, s, b, false
	}
	cl, err := parseODataAnd(f)
	if err != nil {
		return bad(err.Error())
	}
	for _, c := range cl {
		i := slices.IndexFunc(props, func(p string) bool { return strings.EqualFold(p, c.name) })
		if i < 0 {
			return bad("property " + c.name + " is not supported")
		}
		if _, dup := out[props[i]]; dup {
			return bad("property " + props[i] + " is given twice")
		}
		out[props[i]] = c.value
	}
	return out, 0, nil, true
}

// rsEnum checks a filter value against an enumeration, case-insensitively,
// and returns it as documented.
func rsEnum(f map[string]string, prop string, allowed []string) (string, error) {
	v, ok := f[prop]
	if !ok {
		return "", nil
	}
	i := slices.IndexFunc(allowed, func(a string) bool { return strings.EqualFold(a, v) })
	if i < 0 {
		return "", fmt.Errorf("%s '%s' is not one of %s", prop, v, strings.Join(allowed, ", "))
	}
	return allowed[i], nil
}

func rsBadFilter(r *http.Request, err error) (int, any) {
	return armErr(http.StatusBadRequest, "InvalidFilter", fmt.Sprintf("The $filter '%s' is invalid: %v.", r.URL.Query().Get("$filter"), err))
}

// ---------------------------------------------------------------------
// Route handlers; s.mu is held.

// rsAPIVersion answers an unsupported api-version as ARM does.
func rsAPIVersion(r *http.Request, typ, location string, allowed []string) (int, any, bool) {
	v := r.URL.Query().Get("api-version")
	if slices.Contains(allowed, v) {
		return 0, nil, true
	}
	loc := strings.ToLower(strings.ReplaceAll(location, " ", ""))
	s, b := armErr(http.StatusBadRequest, "NoRegisteredProviderFound", fmt.Sprintf(
		"No registered resource provider found for location '%s' and API version '%s' for type '%s'. The supported api-versions are '%s'. The supported locations are '%s'.",
		loc, v, typ, strings.Join(allowed, ", "), loc))
	return s, b, false
}

// rsLookup checks the api-version, the subscription, the resource group and
// the vault. With list, a missing vault is ParentResourceNotFound.
func rsLookup(st *azureState, r *http.Request, p armParams, typ string, list bool) (*RSVault, int, any) {
	versions := rsBackupAPIVersions
	if typ == "vaults" {
		versions = rsVaultAPIVersions
	}
	return armVaultLookup(st, r, p, st.rsVault(p["sub"], p["rg"], p["vault"]), typ, versions, "Microsoft.RecoveryServices/vaults", list)
}

func armListRSVaults(st *azureState, _ http.ResponseWriter, r *http.Request, p armParams) (int, any) {
	return armListGroupVaults(st, r, p, "vaults", rsVaultAPIVersions, func(g *AzureResourceGroup) []RSVault { return g.RecoveryServicesVaults }, rsVaultResource)
}

func armGetRSVault(st *azureState, _ http.ResponseWriter, r *http.Request, p armParams) (int, any) {
	v, s, b := rsLookup(st, r, p, "vaults", false)
	if v == nil {
		return s, b
	}
	return http.StatusOK, rsVaultResource(p["sub"], p["rg"], v)
}

func armListRSProtectedItems(st *azureState, _ http.ResponseWriter, r *http.Request, p armParams) (int, any) {
	v, s, b := rsLookup(st, r, p, "vaults/backupProtectedItems", true)
	if v == nil {
		return s, b
	}
	f, s, b, ok := rsFilter(r, []string{"backupManagementType", "itemType", "healthState", "policyName", "containerName",
		"backupEngineName", "friendlyName", "fabricName", "backupSetName"})
	if !ok {
		return s, b
	}
	bmt, err1 := rsEnum(f, "backupManagementType", rsBackupManagementTypes)
	itemType, err2 := rsEnum(f, "itemType", rsWorkloadTypes)
	health, err3 := rsEnum(f, "healthState", rsHealthStates)
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			return rsBadFilter(r, err)
		}
	}
	if fab, ok := f["fabricName"]; ok && !strings.EqualFold(fab, "Azure") {
		return http.StatusOK, armList{}
	}
	item := func(it *RSProtectedItem) any {
		res, _ := rsProtectedItemResource(p["sub"], p["rg"], v, it)
		return res
	}
	if len(f) == 0 {
		return http.StatusOK, armItems(v.ProtectedItems, item)
	}
	// Each distinct filter is answered once per change of the data (the
	// answer does not depend on how the request spells sub and rg: the
	// filters that read them compare without case).
	idx := st.rsVaultIndex(v).filtered.get("backupProtectedItems "+rsFilterKey(f), func() []int {
		var idx []int
		for i := range v.ProtectedItems {
			res, n := rsProtectedItemResource(p["sub"], p["rg"], v, &v.ProtectedItems[i])
			pr := res.Properties.(rsItemProps)
			switch {
			case bmt != "" && pr.BackupManagementType != bmt,
				itemType != "" && pr.WorkloadType != itemType,
				health != "" && pr.HealthStatus != health,
				rsNotEq(f, "policyName", pr.PolicyName),
				rsNotEq(f, "friendlyName", pr.FriendlyName),
				// The container's name, with or without its type prefix.
				rsNotEq(f, "containerName", n.containerName) && rsNotEq(f, "containerName", n.container),
				// No item has a backup engine or a backup set.
				f["backupEngineName"] != "", f["backupSetName"] != "":
				continue
			}
			idx = append(idx, i)
		}
		return idx
	})
	return http.StatusOK, armSelected(v.ProtectedItems, idx, item)
}

// rsFilterKey names a parsed $filter: its properties and values, sorted
// and quoted.
func rsFilterKey(f map[string]string) string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(strconv.Quote(k) + strconv.Quote(f[k]))
	}
	return b.String()
}

// rsNotEq is whether the filter names prop with a value other than got.
func rsNotEq(f map[string]string, prop, got string) bool {
	want, ok := f[prop]
	return ok && !strings.EqualFold(want, got)
}

func armListRSProtectable(st *azureState, _ http.ResponseWriter, r *http.Request, p armParams) (int, any) {
	v, s, b := rsLookup(st, r, p, "vaults/backupProtectableItems", true)
	if v == nil {
		return s, b
	}
	f, s, b, ok := rsFilter(r, []string{"backupManagementType", "workloadType", "containerName", "status", "friendlyName"})
	if !ok {
		return s, b
	}
	bmt, err1 := rsEnum(f, "backupManagementType", rsBackupManagementTypes)
	wt, err2 := rsEnum(f, "workloadType", rsWorkloadTypes)
	for _, err := range []error{err1, err2} {
		if err != nil {
			return rsBadFilter(r, err)
		}
	}
	item := func(it *RSProtectableItem) any {
		res, _ := rsProtectableResource(p["sub"], p["rg"], v, it)
		return res
	}
	if len(f) == 0 {
		return http.StatusOK, armItems(v.ProtectableItems, item)
	}
	idx := st.rsVaultIndex(v).filtered.get("backupProtectableItems "+rsFilterKey(f), func() []int {
		var idx []int
		for i := range v.ProtectableItems {
			res, n := rsProtectableResource(p["sub"], p["rg"], v, &v.ProtectableItems[i])
			pr := res.Properties.(rsProtectableProps)
			switch {
			case bmt != "" && pr.BackupManagementType != bmt,
				wt != "" && pr.WorkloadType != wt,
				rsNotEq(f, "status", pr.ProtectionState),
				rsNotEq(f, "friendlyName", pr.FriendlyName),
				rsNotEq(f, "containerName", n.containerName) && rsNotEq(f, "containerName", n.container):
				continue
			}
			idx = append(idx, i)
		}
		return idx
	})
	return http.StatusOK, armSelected(v.ProtectableItems, idx, item)
}

func armListRSJobs(st *azureState, _ http.ResponseWriter, r *http.Request, p armParams) (int, any) {
	v, s, b := rsLookup(st, r, p, "vaults/backupJobs", true)
	if v == nil {
		return s, b
	}
	f, s, b, ok := rsFilter(r, []string{"status", "backupManagementType", "operation", "jobId", "startTime", "endTime"})
	if !ok {
		return s, b
	}
	status, err1 := rsEnum(f, "status", rsJobStatuses)
	bmt, err2 := rsEnum(f, "backupManagementType", rsBackupManagementTypes)
	op, err3 := rsEnum(f, "operation", rsJobOperations)
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			return rsBadFilter(r, err)
		}
	}
	var window [2]time.Time // from, to
	for k, prop := range []string{"startTime", "endTime"} {
		val, ok := f[prop]
		if !ok {
			continue
		}
		t, err := time.Parse(AzureBackupFilterTimeFormat, val)
		if err != nil {
			return rsBadFilter(r, fmt.Errorf("%s '%s' is not a UTC time of the form 'yyyy-MM-dd hh:mm:ss AM' (e.g. '2016-01-01 00:00:00 AM')", prop, val))
		}
		window[k] = t
	}
	from, to := window[0], window[1]
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return rsBadFilter(r, fmt.Errorf("endTime '%s' is before startTime '%s'", f["endTime"], f["startTime"]))
	}
	now := time.Now()
	// The jobs that pass, newest first (as in the examples), once per
	// distinct filter and change of the data.
	idx := st.rsVaultIndex(v).filtered.get("backupJobs "+rsFilterKey(f), func() []int {
		var idx []int
		var starts []time.Time
		for i := range v.Jobs {
			jv := st.rsJobView(p["sub"], p["rg"], v, i)
			switch {
			case status != "" && jv.status != status,
				bmt != "" && rsKinds[jv.kind].backupManagementType != bmt,
				op != "" && jv.operation != op,
				rsNotEq(f, "jobId", jv.name),
				!from.IsZero() && jv.start.Before(from),
				!to.IsZero() && jv.start.After(to):
				continue
			}
			idx = append(idx, i)
			starts = append(starts, jv.start)
		}
		sort.Stable(rsNewestFirst{idx, starts})
		return idx
	})
	return http.StatusOK, armList{n: len(idx), item: func(i int) any {
		return rsJobResource(p["sub"], p["rg"], v, st.rsJobView(p["sub"], p["rg"], v, idx[i]), false, now)
	}}
}

// rsNewestFirst sorts job indexes by their start times, newest first.
type rsNewestFirst struct {
	idx    []int
	starts []time.Time
}

func (s rsNewestFirst) Len() int           { return len(s.idx) }
func (s rsNewestFirst) Less(a, b int) bool { return s.starts[a].After(s.starts[b]) }
func (s rsNewestFirst) Swap(a, b int) {
	s.idx[a], s.idx[b] = s.idx[b], s.idx[a]
	s.starts[a], s.starts[b] = s.starts[b], s.starts[a]
}

func armGetRSJob(st *azureState, _ http.ResponseWriter, r *http.Request, p armParams) (int, any) {
	v, s, b := rsLookup(st, r, p, "vaults/backupJobs", false)
	if v == nil {
		return s, b
	}
	if i := st.rsJob(v, p["job"]); i >= 0 {
		return http.StatusOK, rsJobResource(p["sub"], p["rg"], v, st.rsJobView(p["sub"], p["rg"], v, i), true, time.Now())
	}
	return resourceNotFound(p["rg"], "Microsoft.RecoveryServices/vaults/"+v.Name+"/backupJobs/"+p["job"])
}
