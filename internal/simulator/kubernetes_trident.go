package simulator

// NetApp Trident protect's custom resources (group
// protect.trident.netapp.io, version v1) served by the Kubernetes API
// server (kubernetes_server.go): Applications, Backups and Schedules.
// AppVaults exist too, but only a service account the scenario grants
// "appvaults" may read them (an exporter never should; see
// KubernetesRequestCount).
//
// Sources, and where each shape comes from:
//
//   - NetApp Trident protect documentation (NetAppDocs/trident,
//     trident-protect/*.adoc, docs.netapp.com/us-en/trident/trident-protect/):
//     Application spec.includedNamespaces[].namespace/labelSelector and
//     spec.includedClusterScopedResources (manage-applications); Backup
//     spec.applicationRef, appVaultRef, dataMover (Kopia default, Restic),
//     reclaimPolicy (Retain default, Delete), snapshotRef, and
//     status.appArchivePath (protect-apps, restore-apps); Schedule
//     spec.applicationRef, appVaultRef, backupRetention and
//     snapshotRetention as strings ("15"), granularity Hourly, Daily,
//     Weekly, Monthly, Custom with minute, hour, dayOfWeek, dayOfMonth as
//     strings, backupReclaimPolicy, snapshotReclaimPolicy, runImmediately,
//     dataMover (protect-apps), spec.enabled and spec.recurrenceRule
//     "DTSTART:20220101T000200Z\nRRULE:FREQ=MINUTELY;INTERVAL=5"
//     (use-snapmirror-replication); Backup status.state "Error" alerted on
//     (monitor-trident-protect-resources).
//   - NetApp's trident-protect Helm chart CRDs (100.2605.1,
//     templates/crd/protect.trident.netapp.io_{applications,backups,
//     schedules,appvaults}.yaml, as republished in
//     github.com/sachinrai28/trident-protect-helm-test): every spec and
//     status field name and type served here; the spec defaults
//     (Backup cleanupSnapshot true, reclaimPolicy Retain, replicateSnapshot
//     false, replicateSnapshotReclaimPolicy Retain; Schedule enabled true,
//     backupReclaimPolicy Retain, snapshotReclaimPolicy Delete,
//     replicateSnapshotReclaimPolicy Retain, replicationRetention "0",
//     runImmediately false), the enums (granularity; dataMover Kopia,
//     Restic, CBS; reclaim policies; status.immediateRunStatus NotRequested,
//     InProgress, Completed, Failed), the retention pattern
//     ^(0|([1-9][0-9]*))$, Backup status.completionTimestamp nullable,
//     status.error, status.conditions and status.progress required, the
//     hook results status.{pre,post}{Snapshot,Backup}ExecHooksRunResults[]
//     {execHookRef, execHookUID, namespace, podName, podUID, containerName,
//     containerImage, jobName, startTimestamp, completionTimestamp,
//     failures[]{error, exitCode, isExecError, isTimeout, stderr,
//     timeoutMinutes}}, status.volumeInfos[].capacity and
//     status.progress.volumeBackups[].progress; Schedule
//     status.lastScheduleTime, status.lastRecoveryPoints{backup, snapshot,
//     creationTimestamp, isHealthy, maxAge}; Application
//     status.protectionState, protectionHealthState,
//     protectionStateDetails, resourceCount, storageCapacityBytes,
//     storageUsedCapacityBytes; AppVault spec.providerType, providerConfig
//     {s3, azure, gcp}, providerCredentials[].valueFromSecret, status
//     {state, error, message}.
//   - NetApp's samples (NetApp/FSx-ONTAP-samples-scripts, EKS/Backup-EKS-
//     Applications-with-Trident-Protect/README.md) and the AWS sample
//     (aws-samples/sample-eks-backup-with-trident-protect): Backup
//     status.state Running, Completed and Failed.
//
// Not confirmed by any public document, so served only as the scenario
// writes them (never invented by default), or chosen and marked here:
//   - Backup status.state values other than Running, Completed, Failed and
//     Error: Pending, Removed and Blocked are accepted as written but are
//     unconfirmed.
//   - Application status.protectionState values: the CRD describes "Fully
//     Protected", "Partially Protected" and "Not Protected" as logic, not
//     as the serialized strings; protectionHealthState values; Schedule
//     status.state values; AppVault status.state values; the condition
//     types and reasons of any status.conditions.
//   - Backup status.completionTimestamp: served as null until completed
//     (the CRD says nullable; whether Trident writes null or leaves it out
//     is not documented).
//   - Backup status.appArchivePath default
//     "<app>_<app uid>/backups/<YYYYMMDDhhmmss>_<backup>_<backup uid>":
//     shape seen only in a third-party example
//     ("bbox_<uid>/snapshots/20241211091052_bboxsnap1_<uid>").
//   - Schedule lastRecoveryPoints.maxAge: its unit is not documented (int64).
//   - The names inside status.progress.volumeBackups[] (sourceVolumeSnapshot,
//     volumeSnapshotCopyName, volumeSnapshotContentCopyName) are made up
//     by the simulator; only the field names come from the CRD.
//   - Labels, finalizers and ownerReferences set by Trident protect (e.g.
//     on scheduled Backups): none is documented, so none is added; the
//     scenario may write its own. No spec.suspend exists in the CRD
//     (spec.enabled does).

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Trident protect's API group and version.
const (
	// TridentProtectGroup and TridentProtectVersion are the API group and
	// version of the served resources.
	TridentProtectGroup   = "protect.trident.netapp.io"
	TridentProtectVersion = "v1"
	// TridentProtectAPIVersion is the apiVersion of the served objects.
	TridentProtectAPIVersion = TridentProtectGroup + "/" + TridentProtectVersion
)

// The Trident protect resources served.
const (
	TridentApplications = "applications"
	TridentBackups      = "backups"
	TridentSchedules    = "schedules"
	TridentAppVaults    = "appvaults"
)

// tridentProtect is the registration of Trident protect's resources. Its
// data is in KubernetesNamespace (Applications, Backups, Schedules,
// AppVaults).
var tridentProtect = &k8sCRDSet{
	name:    "trident_protect",
	group:   TridentProtectGroup,
	version: TridentProtectVersion,
	resources: []k8sResourceType{
		{TridentApplications, "Application", true},
		{TridentBackups, "Backup", true},
		{TridentSchedules, "Schedule", true},
		{TridentAppVaults, "AppVault", true},
	},
	defaultGrant: []string{TridentApplications, TridentBackups, TridentSchedules},
	clone:        tpClone,
	normalize:    tpNormalize,
	objects:      tpObjects,
}

func init() { registerK8sCRDSet(tridentProtect) }

// k8sKinds is the kind of each Trident protect resource.
var k8sKinds = func() map[string]string {
	m := map[string]string{}
	for _, r := range tridentProtect.resources {
		m[r.plural] = r.kind
	}
	return m
}()

var k8sRetentionRE = regexp.MustCompile(`^(0|([1-9][0-9]*))$`)

// TridentApplication is an Application CR.
type TridentApplication struct {
	KubernetesMeta `yaml:",inline"`
	// IncludedNamespaces; default the application's own namespace.
	IncludedNamespaces             []TridentNamespaceSelector `yaml:"included_namespaces"`
	IncludedClusterScopedResources []TridentClusterResource   `yaml:"included_cluster_scoped_resources"`
	// Status, served only as written (values unconfirmed, see the top of
	// this file).
	ProtectionState          string                `yaml:"protection_state"`
	ProtectionHealthState    string                `yaml:"protection_health_state"`
	ProtectionStateDetails   []string              `yaml:"protection_state_details"`
	ResourceCount            *int64                `yaml:"resource_count"`
	StorageCapacityBytes     *int64                `yaml:"storage_capacity_bytes"`
	StorageUsedCapacityBytes *int64                `yaml:"storage_used_capacity_bytes"`
	Conditions               []KubernetesCondition `yaml:"conditions"`
}

// TridentNamespaceSelector is an includedNamespaces entry.
type TridentNamespaceSelector struct {
	Namespace   string            `yaml:"namespace"`
	MatchLabels map[string]string `yaml:"match_labels"`
}

// TridentClusterResource is an includedClusterScopedResources entry.
type TridentClusterResource struct {
	Group       string            `yaml:"group"`
	Version     string            `yaml:"version"`
	Kind        string            `yaml:"kind"`
	MatchLabels map[string]string `yaml:"match_labels"`
}

// TridentBackup is a Backup CR.
type TridentBackup struct {
	KubernetesMeta `yaml:",inline"`
	ApplicationRef string `yaml:"application_ref"`
	AppVaultRef    string `yaml:"app_vault_ref"`
	// DataMover: Kopia, Restic or CBS; left out when empty.
	DataMover string `yaml:"data_mover"`
	// ReclaimPolicy: Retain (default) or Delete.
	ReclaimPolicy string `yaml:"reclaim_policy"`
	SnapshotRef   string `yaml:"snapshot_ref"`

	// State is status.state: Running, Completed (default), Failed, Error
	// (documented); Pending, Removed, Blocked (unconfirmed).
	State string `yaml:"state"`
	// Error is status.error.
	Error string `yaml:"error"`
	// CompletionTimestamp; null when empty.
	CompletionTimestamp string `yaml:"completion_timestamp"`
	// AppArchivePath; default derived for Completed backups (see the top
	// of this file).
	AppArchivePath string `yaml:"app_archive_path"`
	// SourceSnapshotName; default spec.snapshotRef, else left out.
	SourceSnapshotName string                `yaml:"source_snapshot_name"`
	Warnings           []string              `yaml:"warnings"`
	Conditions         []KubernetesCondition `yaml:"conditions"`
	// HookRuns are the execution hook results, by stage and action.
	HookRuns []TridentHookRun `yaml:"hook_runs"`
	// Volumes are status.volumeInfos and status.progress.volumeBackups.
	Volumes []TridentBackupVolume `yaml:"volumes"`
}

// TridentHookRun is one entry of a Backup's
// status.{pre,post}{Snapshot,Backup}ExecHooksRunResults.
type TridentHookRun struct {
	// Stage: Pre or Post; Action: Snapshot or Backup.
	Stage               string               `yaml:"stage"`
	Action              string               `yaml:"action"`
	ExecHookRef         string               `yaml:"exec_hook_ref"`
	ExecHookUID         string               `yaml:"exec_hook_uid"`
	Namespace           string               `yaml:"namespace"`
	PodName             string               `yaml:"pod_name"`
	PodUID              string               `yaml:"pod_uid"`
	ContainerName       string               `yaml:"container_name"`
	ContainerImage      string               `yaml:"container_image"`
	JobName             string               `yaml:"job_name"`
	StartTimestamp      string               `yaml:"start_timestamp"`
	CompletionTimestamp string               `yaml:"completion_timestamp"`
	Failures            []TridentHookFailure `yaml:"failures"`
}

// TridentHookFailure is a failures entry of a hook run.
type TridentHookFailure struct {
	Error          string `yaml:"error"`
	ExitCode       *int   `yaml:"exit_code"`
	IsExecError    bool   `yaml:"is_exec_error"`
	IsTimeout      bool   `yaml:"is_timeout"`
	Stderr         string `yaml:"stderr"`
	TimeoutMinutes *int   `yaml:"timeout_minutes"`
}

// TridentBackupVolume is one backed-up PVC.
type TridentBackupVolume struct {
	PVCName      string `yaml:"pvc_name"`
	PVCNamespace string `yaml:"pvc_namespace"`
	PVCUID       string `yaml:"pvc_uid"`
	PVName       string `yaml:"pv_name"`
	// CapacityBytes and UsedBytes are volumeInfos[].capacity.allocated and
	// .used.
	CapacityBytes int64 `yaml:"capacity_bytes"`
	UsedBytes     int64 `yaml:"used_bytes"`
	// BytesTotal and BytesCompleted are the progress of its volume backup.
	BytesTotal          int64  `yaml:"bytes_total"`
	BytesCompleted      int64  `yaml:"bytes_completed"`
	CompletionTimestamp string `yaml:"completion_timestamp"`
}

// TridentSchedule is a Schedule CR.
type TridentSchedule struct {
	KubernetesMeta `yaml:",inline"`
	ApplicationRef string `yaml:"application_ref"`
	AppVaultRef    string `yaml:"app_vault_ref"`
	DataMover      string `yaml:"data_mover"`
	// Granularity: Hourly, Daily, Weekly, Monthly or Custom.
	Granularity string `yaml:"granularity"`
	Minute      string `yaml:"minute"`
	Hour        string `yaml:"hour"`
	DayOfWeek   string `yaml:"day_of_week"`
	DayOfMonth  string `yaml:"day_of_month"`
	// RecurrenceRule (Custom), e.g.
	// "DTSTART:20220101T000200Z\nRRULE:FREQ=MINUTELY;INTERVAL=5".
	RecurrenceRule string `yaml:"recurrence_rule"`
	// BackupRetention and SnapshotRetention are counts as strings; default
	// "0".
	BackupRetention   string `yaml:"backup_retention"`
	SnapshotRetention string `yaml:"snapshot_retention"`
	// BackupReclaimPolicy: Retain (default) or Delete;
	// SnapshotReclaimPolicy: Delete (default) or Retain.
	BackupReclaimPolicy   string `yaml:"backup_reclaim_policy"`
	SnapshotReclaimPolicy string `yaml:"snapshot_reclaim_policy"`
	// Enabled; default true.
	Enabled        *bool `yaml:"enabled"`
	RunImmediately bool  `yaml:"run_immediately"`

	// Status.
	State            string `yaml:"state"`
	Error            string `yaml:"error"`
	LastScheduleTime string `yaml:"last_schedule_time"`
	// LastBackup and LastSnapshot are status.lastRecoveryPoints.backup and
	// .snapshot; LastRecoveryPointTime its creationTimestamp.
	LastBackup            *TridentRecoveryPoint `yaml:"last_backup"`
	LastSnapshot          *TridentRecoveryPoint `yaml:"last_snapshot"`
	LastRecoveryPointTime string                `yaml:"last_recovery_point_time"`
	Healthy               *bool                 `yaml:"healthy"`
	MaxAge                *int64                `yaml:"max_age"`
	// ImmediateRunStatus: NotRequested, InProgress, Completed, Failed.
	ImmediateRunStatus string `yaml:"immediate_run_status"`
}

// TridentRecoveryPoint names a backup or snapshot of a schedule.
type TridentRecoveryPoint struct {
	Name              string `yaml:"name"`
	CreationTimestamp string `yaml:"creation_timestamp"`
}

// TridentAppVault is an AppVault CR (served only to accounts granted
// appvaults).
type TridentAppVault struct {
	KubernetesMeta `yaml:",inline"`
	// ProviderType: AWS, GenericS3, OntapS3, StorageGridS3, Azure, GCP;
	// default AWS.
	ProviderType string `yaml:"provider_type"`
	BucketName   string `yaml:"bucket_name"`
	Endpoint     string `yaml:"endpoint"`
	// CredentialsSecret names the Secret of providerCredentials.
	CredentialsSecret string `yaml:"credentials_secret"`
	State             string `yaml:"state"`
	Error             string `yaml:"error"`
	Message           string `yaml:"message"`
}

func (b TridentBackup) clone() TridentBackup {
	b.KubernetesMeta = b.KubernetesMeta.clone()
	b.Warnings = slices.Clone(b.Warnings)
	b.Conditions = slices.Clone(b.Conditions)
	b.Volumes = slices.Clone(b.Volumes)
	runs := make([]TridentHookRun, 0, len(b.HookRuns))
	for _, h := range b.HookRuns {
		h.Failures = slices.Clone(h.Failures)
		runs = append(runs, h)
	}
	if b.HookRuns != nil {
		b.HookRuns = runs
	}
	return b
}

// UpdateKubernetesBackup calls fn with the named Backup (see
// UpdateKubernetesNamespace).
func (s *Server) UpdateKubernetesBackup(namespace, name string, fn func(*TridentBackup)) error {
	found := false
	err := s.UpdateKubernetesNamespace(namespace, func(ns *KubernetesNamespace) {
		for i := range ns.Backups {
			if ns.Backups[i].Name == name {
				fn(&ns.Backups[i])
				found = true
			}
		}
	})
	if err == nil && !found {
		err = fmt.Errorf("kubernetes: no backup %q in namespace %q", name, namespace)
	}
	return err
}

// SetKubernetesBackupState sets the status.state of a Backup.
func (s *Server) SetKubernetesBackupState(namespace, name, state string) error {
	return s.UpdateKubernetesBackup(namespace, name, func(b *TridentBackup) { b.State = state })
}

// AddKubernetesBackup adds a Backup to a namespace (created when missing).
func (s *Server) AddKubernetesBackup(namespace string, b TridentBackup) error {
	b = b.clone()
	return s.UpdateKubernetesNamespace(namespace, func(ns *KubernetesNamespace) {
		ns.Backups = append(ns.Backups, b)
	})
}

// DeleteKubernetesBackup removes a Backup (its finalizers done).
func (s *Server) DeleteKubernetesBackup(namespace, name string) error {
	found := false
	err := s.UpdateKubernetesNamespace(namespace, func(ns *KubernetesNamespace) {
		ns.Backups = slices.DeleteFunc(ns.Backups, func(b TridentBackup) bool {
			found = found || b.Name == name
			return b.Name == name
		})
	})
	if err == nil && !found {
		err = fmt.Errorf("kubernetes: no backup %q in namespace %q", name, namespace)
	}
	return err
}

// KubernetesRequestCount is the number of requests made for a resource
// ("appvaults", "backups", ...) of the Trident protect group, listed or
// got, in any namespace.
func (s *Server) KubernetesRequestCount(resource string) int {
	prefix := "/apis/" + TridentProtectGroup + "/" + TridentProtectVersion + "/"
	n := 0
	for k, v := range s.Stats().Requests {
		_, path, _ := strings.Cut(k, " ")
		rest, ok := strings.CutPrefix(path, prefix)
		if !ok {
			continue
		}
		parts := strings.Split(rest, "/")
		if len(parts) >= 3 && parts[0] == "namespaces" {
			parts = parts[2:]
		}
		if len(parts) > 0 && parts[0] == resource {
			n += v
		}
	}
	return n
}

// tpObjects calls fn with every object of a resource, namespace by
// namespace.
func tpObjects(sc *KubernetesScenario, resource string, fn func(k8sObject)) {
	for n := range sc.Namespaces {
		ns := &sc.Namespaces[n]
		switch resource {
		case TridentApplications:
			for i := range ns.Applications {
				a := &ns.Applications[i]
				fn(k8sObject{ns.Name, &a.KubernetesMeta, func() any { return tpApplicationJSON(ns.Name, *a) }})
			}
		case TridentBackups:
			for i := range ns.Backups {
				b := &ns.Backups[i]
				fn(k8sObject{ns.Name, &b.KubernetesMeta, func() any { return tpBackupJSON(ns, *b) }})
			}
		case TridentSchedules:
			for i := range ns.Schedules {
				sch := &ns.Schedules[i]
				fn(k8sObject{ns.Name, &sch.KubernetesMeta, func() any { return tpScheduleJSON(ns.Name, *sch) }})
			}
		case TridentAppVaults:
			for i := range ns.AppVaults {
				v := &ns.AppVaults[i]
				fn(k8sObject{ns.Name, &v.KubernetesMeta, func() any { return tpAppVaultJSON(ns.Name, *v) }})
			}
		}
	}
}

// tpClone deep-copies the Trident protect objects of every namespace.
func tpClone(dst, src *KubernetesScenario) {
	for n, ns := range src.Namespaces {
		c := &dst.Namespaces[n]
		c.Applications, c.Backups, c.Schedules, c.AppVaults = nil, nil, nil, nil
		for _, a := range ns.Applications {
			a.KubernetesMeta = a.KubernetesMeta.clone()
			a.IncludedNamespaces = slices.Clone(a.IncludedNamespaces)
			a.IncludedClusterScopedResources = slices.Clone(a.IncludedClusterScopedResources)
			a.ProtectionStateDetails = slices.Clone(a.ProtectionStateDetails)
			a.Conditions = slices.Clone(a.Conditions)
			c.Applications = append(c.Applications, a)
		}
		for _, b := range ns.Backups {
			c.Backups = append(c.Backups, b.clone())
		}
		for _, sch := range ns.Schedules {
			sch.KubernetesMeta = sch.KubernetesMeta.clone()
			if sch.LastBackup != nil {
				sch.LastBackup = ptr(*sch.LastBackup)
			}
			if sch.LastSnapshot != nil {
				sch.LastSnapshot = ptr(*sch.LastSnapshot)
			}
			c.Schedules = append(c.Schedules, sch)
		}
		for _, v := range ns.AppVaults {
			v.KubernetesMeta = v.KubernetesMeta.clone()
			c.AppVaults = append(c.AppVaults, v)
		}
	}
}

// tpNormalize checks the objects against their CRDs and fills the spec
// defaults that are stored.
func tpNormalize(sc *KubernetesScenario) error {
	for n := range sc.Namespaces {
		ns := &sc.Namespaces[n]
		for i := range ns.Applications {
			a := &ns.Applications[i]
			if len(a.IncludedNamespaces) == 0 {
				a.IncludedNamespaces = []TridentNamespaceSelector{{Namespace: ns.Name}}
			}
		}
		for i := range ns.Backups {
			b := &ns.Backups[i]
			where := fmt.Sprintf("namespace %s: backup %q", ns.Name, b.Name)
			if b.ApplicationRef == "" {
				return fmt.Errorf("%s: application_ref is required", where)
			}
			if err := errors.Join(
				oneOf(where+": data_mover", b.DataMover, "Restic", "Kopia", "CBS"),
				oneOf(where+": reclaim_policy", b.ReclaimPolicy, "Retain", "Delete"),
			); err != nil {
				return err
			}
			for _, h := range b.HookRuns {
				if err := errors.Join(
					oneOf(where+": hook_runs: stage", h.Stage, "Pre", "Post"),
					oneOf(where+": hook_runs: action", h.Action, "Snapshot", "Backup"),
				); err != nil {
					return err
				}
				if h.Stage == "" || h.Action == "" {
					return fmt.Errorf("%s: hook_runs: stage and action are required", where)
				}
			}
		}
		for i := range ns.Schedules {
			sch := &ns.Schedules[i]
			where := fmt.Sprintf("namespace %s: schedule %q", ns.Name, sch.Name)
			if sch.ApplicationRef == "" || sch.Granularity == "" {
				return fmt.Errorf("%s: application_ref and granularity are required", where)
			}
			if sch.BackupRetention == "" {
				sch.BackupRetention = "0"
			}
			if sch.SnapshotRetention == "" {
				sch.SnapshotRetention = "0"
			}
			if !k8sRetentionRE.MatchString(sch.BackupRetention) || !k8sRetentionRE.MatchString(sch.SnapshotRetention) {
				return fmt.Errorf("%s: backup_retention and snapshot_retention must match %s", where, k8sRetentionRE)
			}
			if err := errors.Join(
				oneOf(where+": granularity", sch.Granularity, "Hourly", "Daily", "Weekly", "Monthly", "Custom"),
				oneOf(where+": data_mover", sch.DataMover, "Kopia", "Restic", "CBS"),
				oneOf(where+": backup_reclaim_policy", sch.BackupReclaimPolicy, "Retain", "Delete"),
				oneOf(where+": snapshot_reclaim_policy", sch.SnapshotReclaimPolicy, "Retain", "Delete"),
				oneOf(where+": immediate_run_status", sch.ImmediateRunStatus, "NotRequested", "InProgress", "Completed", "Failed"),
			); err != nil {
				return err
			}
		}
	}
	return nil
}

func tpApplicationJSON(ns string, a TridentApplication) k8sObjectJSON {
	type nsSel struct {
		Namespace     string                `json:"namespace"`
		LabelSelector *k8sLabelSelectorJSON `json:"labelSelector,omitempty"`
	}
	type gvk struct {
		Group   string `json:"group"`
		Kind    string `json:"kind"`
		Version string `json:"version"`
	}
	type csr struct {
		GroupVersionKind gvk                   `json:"groupVersionKind"`
		LabelSelector    *k8sLabelSelectorJSON `json:"labelSelector,omitempty"`
	}
	spec := struct {
		IncludedNamespaces             []nsSel `json:"includedNamespaces"`
		IncludedClusterScopedResources []csr   `json:"includedClusterScopedResources,omitempty"`
	}{}
	for _, n := range a.IncludedNamespaces {
		spec.IncludedNamespaces = append(spec.IncludedNamespaces, nsSel{n.Namespace, k8sSelector(n.MatchLabels)})
	}
	for _, c := range a.IncludedClusterScopedResources {
		spec.IncludedClusterScopedResources = append(spec.IncludedClusterScopedResources,
			csr{gvk{c.Group, c.Kind, c.Version}, k8sSelector(c.MatchLabels)})
	}
	status := struct {
		Conditions               []k8sConditionJSON `json:"conditions"`
		ProtectionHealthState    string             `json:"protectionHealthState,omitempty"`
		ProtectionState          string             `json:"protectionState,omitempty"`
		ProtectionStateDetails   []string           `json:"protectionStateDetails,omitempty"`
		ResourceCount            *int64             `json:"resourceCount,omitempty"`
		StorageCapacityBytes     *int64             `json:"storageCapacityBytes,omitempty"`
		StorageUsedCapacityBytes *int64             `json:"storageUsedCapacityBytes,omitempty"`
	}{
		k8sConditions(a.Conditions), a.ProtectionHealthState, a.ProtectionState, a.ProtectionStateDetails,
		a.ResourceCount, a.StorageCapacityBytes, a.StorageUsedCapacityBytes,
	}
	return k8sObjectJSON{TridentProtectAPIVersion, "Application", a.metaJSON(ns, TridentProtectAPIVersion), spec, status}
}

type k8sHookFailureJSON struct {
	Error          string `json:"error,omitempty"`
	ExitCode       *int   `json:"exitCode,omitempty"`
	IsExecError    bool   `json:"isExecError"`
	IsTimeout      bool   `json:"isTimeout"`
	Stderr         string `json:"stderr,omitempty"`
	TimeoutMinutes *int   `json:"timeoutMinutes,omitempty"`
}

type k8sHookRunJSON struct {
	CompletionTimestamp string               `json:"completionTimestamp,omitempty"`
	ContainerImage      string               `json:"containerImage"`
	ContainerName       string               `json:"containerName"`
	ExecHookRef         string               `json:"execHookRef"`
	ExecHookUID         string               `json:"execHookUID"`
	Failures            []k8sHookFailureJSON `json:"failures,omitempty"`
	JobName             string               `json:"jobName,omitempty"`
	Namespace           string               `json:"namespace"`
	PodName             string               `json:"podName"`
	PodUID              string               `json:"podUID"`
	StartTimestamp      string               `json:"startTimestamp,omitempty"`
}

func tpHookRunJSON(ns string, h TridentHookRun) k8sHookRunJSON {
	j := k8sHookRunJSON{
		CompletionTimestamp: k8sTime(h.CompletionTimestamp),
		ContainerImage:      h.ContainerImage, ContainerName: h.ContainerName,
		ExecHookRef: h.ExecHookRef, ExecHookUID: firstNonEmpty(h.ExecHookUID, k8sUID("exechooks/"+ns+"/"+h.ExecHookRef)),
		JobName: h.JobName, Namespace: firstNonEmpty(h.Namespace, ns),
		PodName: h.PodName, PodUID: firstNonEmpty(h.PodUID, k8sUID("pods/"+ns+"/"+h.PodName)),
		StartTimestamp: k8sTime(h.StartTimestamp),
	}
	for _, f := range h.Failures {
		j.Failures = append(j.Failures, k8sHookFailureJSON(f))
	}
	return j
}

func tpBackupJSON(ns *KubernetesNamespace, b TridentBackup) k8sObjectJSON {
	spec := struct {
		AppVaultRef                    string `json:"appVaultRef,omitempty"`
		ApplicationRef                 string `json:"applicationRef"`
		CleanupSnapshot                bool   `json:"cleanupSnapshot"`
		DataMover                      string `json:"dataMover,omitempty"`
		ReclaimPolicy                  string `json:"reclaimPolicy"`
		ReplicateSnapshot              bool   `json:"replicateSnapshot"`
		ReplicateSnapshotReclaimPolicy string `json:"replicateSnapshotReclaimPolicy"`
		SnapshotRef                    string `json:"snapshotRef,omitempty"`
	}{
		b.AppVaultRef, b.ApplicationRef, true, b.DataMover, firstNonEmpty(b.ReclaimPolicy, "Retain"),
		false, "Retain", b.SnapshotRef,
	}

	type capacity struct {
		Allocated int64 `json:"allocated"`
		Used      int64 `json:"used"`
	}
	type volumeInfo struct {
		Capacity     capacity `json:"capacity"`
		PVName       string   `json:"pvName,omitempty"`
		PVCName      string   `json:"pvcName"`
		PVCNamespace string   `json:"pvcNamespace"`
		PVCUID       string   `json:"pvcUID"`
	}
	type byteProgress struct {
		BytesCompleted int64  `json:"bytesCompleted"`
		BytesRemaining int64  `json:"bytesRemaining"`
		BytesTotal     int64  `json:"bytesTotal"`
		UpdatedAt      string `json:"updatedAt,omitempty"`
	}
	type nsName struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	}
	type volumeBackup struct {
		CompletionTimestamp           *string      `json:"completionTimestamp"`
		Progress                      byteProgress `json:"progress"`
		PVCUID                        string       `json:"pvcUid"`
		SourceVolumeSnapshot          nsName       `json:"sourceVolumeSnapshot"`
		VolumeBackupCompleted         bool         `json:"volumeBackupCompleted"`
		VolumeBackupCreated           bool         `json:"volumeBackupCreated"`
		VolumeSnapshotContentCopyName string       `json:"volumeSnapshotContentCopyName"`
		VolumeSnapshotCopied          bool         `json:"volumeSnapshotCopied"`
		VolumeSnapshotCopyDeleted     bool         `json:"volumeSnapshotCopyDeleted"`
		VolumeSnapshotCopyName        string       `json:"volumeSnapshotCopyName"`
		VolumeSnapshotCopyReadyToUse  bool         `json:"volumeSnapshotCopyReadyToUse"`
	}
	type progress struct {
		VolumeBackups []volumeBackup `json:"volumeBackups,omitempty"`
	}
	state := firstNonEmpty(b.State, "Completed")
	snapName := firstNonEmpty(b.SourceSnapshotName, b.SnapshotRef, "backup-"+k8sUID("snapshots/" + ns.Name + "/" + b.Name)[:8])
	var infos []volumeInfo
	var prog progress
	for _, v := range b.Volumes {
		pvcNS := firstNonEmpty(v.PVCNamespace, ns.Name)
		pvcUID := firstNonEmpty(v.PVCUID, k8sUID("pvcs/"+pvcNS+"/"+v.PVCName))
		infos = append(infos, volumeInfo{capacity{v.CapacityBytes, v.UsedBytes}, v.PVName, v.PVCName, pvcNS, pvcUID})
		done := v.CompletionTimestamp != "" || (state == "Completed" && v.BytesCompleted >= v.BytesTotal)
		copyName := snapName + "-" + v.PVCName
		prog.VolumeBackups = append(prog.VolumeBackups, volumeBackup{
			CompletionTimestamp: k8sTimePtr(v.CompletionTimestamp),
			Progress: byteProgress{v.BytesCompleted, max(v.BytesTotal-v.BytesCompleted, 0), v.BytesTotal,
				k8sTime(firstNonEmpty(v.CompletionTimestamp, b.CompletionTimestamp))},
			PVCUID:                        pvcUID,
			SourceVolumeSnapshot:          nsName{snapName + "-" + v.PVCName, pvcNS},
			VolumeBackupCompleted:         done,
			VolumeBackupCreated:           true,
			VolumeSnapshotContentCopyName: "snapcontent-" + k8sUID("vsc/"+copyName),
			VolumeSnapshotCopied:          true,
			VolumeSnapshotCopyDeleted:     done,
			VolumeSnapshotCopyName:        copyName,
			VolumeSnapshotCopyReadyToUse:  true,
		})
	}

	archive := b.AppArchivePath
	if archive == "" && state == "Completed" {
		appUID := k8sUID(TridentApplications + "/" + ns.Name + "/" + b.ApplicationRef)
		for _, a := range ns.Applications {
			if a.Name == b.ApplicationRef {
				appUID = a.UID
			}
		}
		created, err := time.Parse(time.RFC3339Nano, b.CreationTimestamp)
		if err != nil {
			created, _ = time.Parse(time.RFC3339, k8sDefaultTime)
		}
		archive = fmt.Sprintf("%s_%s/backups/%s_%s_%s", b.ApplicationRef, appUID, created.UTC().Format("20060102150405"), b.Name, b.UID)
	}

	status := struct {
		AppArchivePath                  string             `json:"appArchivePath,omitempty"`
		AppVaultRef                     string             `json:"appVaultRef,omitempty"`
		CompletionTimestamp             *string            `json:"completionTimestamp"`
		Conditions                      []k8sConditionJSON `json:"conditions"`
		Error                           string             `json:"error,omitempty"`
		PostBackupExecHooksRunResults   []k8sHookRunJSON   `json:"postBackupExecHooksRunResults,omitempty"`
		PostSnapshotExecHooksRunResults []k8sHookRunJSON   `json:"postSnapshotExecHooksRunResults,omitempty"`
		PreBackupExecHooksRunResults    []k8sHookRunJSON   `json:"preBackupExecHooksRunResults,omitempty"`
		PreSnapshotExecHooksRunResults  []k8sHookRunJSON   `json:"preSnapshotExecHooksRunResults,omitempty"`
		Progress                        progress           `json:"progress"`
		SourceSnapshotName              string             `json:"sourceSnapshotName,omitempty"`
		State                           string             `json:"state"`
		VolumeInfos                     []volumeInfo       `json:"volumeInfos,omitempty"`
		Warnings                        []string           `json:"warnings,omitempty"`
	}{
		AppArchivePath: archive, AppVaultRef: b.AppVaultRef,
		CompletionTimestamp: k8sTimePtr(b.CompletionTimestamp),
		Conditions:          k8sConditions(b.Conditions), Error: b.Error,
		Progress: prog, SourceSnapshotName: firstNonEmpty(b.SourceSnapshotName, b.SnapshotRef), State: state,
		VolumeInfos: infos, Warnings: b.Warnings,
	}
	for _, h := range b.HookRuns {
		j := tpHookRunJSON(ns.Name, h)
		switch h.Stage + h.Action {
		case "PreSnapshot":
			status.PreSnapshotExecHooksRunResults = append(status.PreSnapshotExecHooksRunResults, j)
		case "PostSnapshot":
			status.PostSnapshotExecHooksRunResults = append(status.PostSnapshotExecHooksRunResults, j)
		case "PreBackup":
			status.PreBackupExecHooksRunResults = append(status.PreBackupExecHooksRunResults, j)
		case "PostBackup":
			status.PostBackupExecHooksRunResults = append(status.PostBackupExecHooksRunResults, j)
		}
	}
	return k8sObjectJSON{TridentProtectAPIVersion, "Backup", b.metaJSON(ns.Name, TridentProtectAPIVersion), spec, status}
}

func tpScheduleJSON(ns string, s TridentSchedule) k8sObjectJSON {
	enabled := true
	if s.Enabled != nil {
		enabled = *s.Enabled
	}
	spec := struct {
		AppVaultRef                    string `json:"appVaultRef,omitempty"`
		ApplicationRef                 string `json:"applicationRef"`
		BackupReclaimPolicy            string `json:"backupReclaimPolicy"`
		BackupRetention                string `json:"backupRetention"`
		DataMover                      string `json:"dataMover,omitempty"`
		DayOfMonth                     string `json:"dayOfMonth,omitempty"`
		DayOfWeek                      string `json:"dayOfWeek,omitempty"`
		Enabled                        bool   `json:"enabled"`
		Granularity                    string `json:"granularity"`
		Hour                           string `json:"hour,omitempty"`
		Minute                         string `json:"minute,omitempty"`
		RecurrenceRule                 string `json:"recurrenceRule,omitempty"`
		ReplicateSnapshotReclaimPolicy string `json:"replicateSnapshotReclaimPolicy"`
		ReplicationRetention           string `json:"replicationRetention"`
		RunImmediately                 bool   `json:"runImmediately"`
		SnapshotReclaimPolicy          string `json:"snapshotReclaimPolicy"`
		SnapshotRetention              string `json:"snapshotRetention"`
	}{
		s.AppVaultRef, s.ApplicationRef, firstNonEmpty(s.BackupReclaimPolicy, "Retain"), s.BackupRetention,
		s.DataMover, s.DayOfMonth, s.DayOfWeek, enabled, s.Granularity, s.Hour, s.Minute, s.RecurrenceRule,
		"Retain", "0", s.RunImmediately, firstNonEmpty(s.SnapshotReclaimPolicy, "Delete"), s.SnapshotRetention,
	}
	type point struct {
		CreationTimestamp string `json:"creationTimestamp,omitempty"`
		Name              string `json:"name,omitempty"`
	}
	type points struct {
		Backup            *point `json:"backup,omitempty"`
		CreationTimestamp string `json:"creationTimestamp,omitempty"`
		IsHealthy         *bool  `json:"isHealthy,omitempty"`
		MaxAge            *int64 `json:"maxAge,omitempty"`
		Snapshot          *point `json:"snapshot,omitempty"`
	}
	toPoint := func(p *TridentRecoveryPoint) *point {
		if p == nil {
			return nil
		}
		return &point{k8sTime(p.CreationTimestamp), p.Name}
	}
	var lrp *points
	if s.LastBackup != nil || s.LastSnapshot != nil || s.LastRecoveryPointTime != "" || s.Healthy != nil || s.MaxAge != nil {
		lrp = &points{toPoint(s.LastBackup), k8sTime(s.LastRecoveryPointTime), s.Healthy, s.MaxAge, toPoint(s.LastSnapshot)}
	}
	status := struct {
		Error              string  `json:"error,omitempty"`
		ImmediateRunStatus string  `json:"immediateRunStatus,omitempty"`
		LastRecoveryPoints *points `json:"lastRecoveryPoints,omitempty"`
		LastScheduleTime   string  `json:"lastScheduleTime,omitempty"`
		State              string  `json:"state,omitempty"`
	}{s.Error, s.ImmediateRunStatus, lrp, k8sTime(s.LastScheduleTime), s.State}
	return k8sObjectJSON{TridentProtectAPIVersion, "Schedule", s.metaJSON(ns, TridentProtectAPIVersion), spec, status}
}

func tpAppVaultJSON(ns string, v TridentAppVault) k8sObjectJSON {
	typ := firstNonEmpty(v.ProviderType, "AWS")
	cfg := map[string]any{}
	creds := map[string]any{}
	secret := firstNonEmpty(v.CredentialsSecret, v.Name+"-credentials")
	ref := func(key string) map[string]any {
		return map[string]any{"valueFromSecret": map[string]string{"key": key, "name": secret}}
	}
	switch typ {
	case "Azure":
		cfg["azure"] = map[string]string{"accountName": firstNonEmpty(v.Endpoint, "demoaccount"), "bucketName": v.BucketName, "endpoint": "core.windows.net"}
		creds["accountKey"] = ref("accountKey")
	case "GCP":
		cfg["gcp"] = map[string]string{"bucketName": v.BucketName, "projectID": firstNonEmpty(v.Endpoint, "demo-project")}
		creds["credentials"] = ref("credentials")
	default:
		cfg["s3"] = map[string]string{"bucketName": v.BucketName, "endpoint": firstNonEmpty(v.Endpoint, "s3.amazonaws.com")}
		creds["accessKeyID"], creds["secretAccessKey"] = ref("accessKeyID"), ref("secretAccessKey")
	}
	spec := map[string]any{"providerType": typ, "providerConfig": cfg, "providerCredentials": creds}
	status := struct {
		Error   string `json:"error,omitempty"`
		Message string `json:"message,omitempty"`
		State   string `json:"state,omitempty"`
	}{v.Error, v.Message, v.State}
	return k8sObjectJSON{TridentProtectAPIVersion, "AppVault", v.metaJSON(ns, TridentProtectAPIVersion), spec, status}
}
