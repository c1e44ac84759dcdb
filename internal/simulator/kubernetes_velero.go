package simulator

// Velero's custom resources served by the Kubernetes API server
// (kubernetes_server.go): group velero.io, version v1 (Backups, Schedules,
// BackupStorageLocations, PodVolumeBackups) and version v2alpha1
// (DataUploads), all namespaced, in Velero's namespace (default velero).
// Their data is KubernetesScenario.CRDs["velero"] (YAML
// kubernetes.crds.velero).
//
// Sources (velero-io/velero at d2241adb, the tree of v1.18.2 and later):
//   - pkg/apis/velero/v1/backup_types.go: BackupSpec (includedNamespaces,
//     excludedNamespaces, labelSelector, orLabelSelectors, ttl,
//     storageLocation, snapshotVolumes, defaultVolumesToFsBackup,
//     csiSnapshotTimeout, itemOperationTimeout, hooks, metadata),
//     BackupStatus (version, formatVersion, expiration, phase omitempty,
//     validationErrors, startTimestamp, completionTimestamp, warnings and
//     errors omitempty, failureReason, progress {totalItems,
//     itemsBackedUp}, hookStatus {hooksAttempted, hooksFailed},
//     queuePosition), the 13 BackupPhase values;
//     pkg/controller/backup_controller.go: a FailedValidation backup has
//     neither start nor completion time, completionTimestamp is set on
//     Completed, PartiallyFailed and Failed, expiration = start + ttl.
//   - pkg/apis/velero/v1/schedule_types.go: spec.schedule (required),
//     template, paused, useOwnerReferencesInBackup, skipImmediately;
//     status.phase New, Enabled, FailedValidation, lastBackup,
//     lastSkipped, validationErrors.
//   - pkg/apis/velero/v1/backupstoragelocation_types.go: spec.provider,
//     objectStorage {bucket, prefix}, credential {name, key} (a Secret's
//     name only), default, config, accessMode; status.phase Available,
//     Unavailable, lastValidationTime, lastSyncedTime, message.
//   - pkg/apis/velero/v1/pod_volume_backup_types.go and
//     pkg/apis/velero/v2alpha1/data_upload_types.go: spec.pod {kind,
//     namespace, name, uid}, volume, node, repoIdentifier,
//     backupStorageLocation, uploaderType; spec.sourceNamespace,
//     sourcePVC, snapshotType, operationTimeout; status.phase (New,
//     Accepted, Prepared, InProgress, Canceling, Canceled, Completed,
//     Failed), startTimestamp, completionTimestamp, progress {totalBytes,
//     bytesDone} (pkg/apis/velero/shared), incrementalBytes.
//   - pkg/apis/velero/v1/labels_annotations.go and pkg/label/label.go:
//     labels velero.io/backup-name (GetValidName: the name, or for a name
//     over 63 characters its first 57 and 6 hex digits of its SHA-256),
//     velero.io/backup-uid, velero.io/schedule-name,
//     velero.io/storage-location; pkg/podvolume/backupper.go and
//     pkg/backup/actions/csi/pvc_action.go set the first two on
//     PodVolumeBackups and DataUploads, in Velero's namespace.
//   - config/crd/v1/bases/*.yaml, config/crd/v2alpha1/bases/*.yaml: the
//     CRDs (names, scopes, enums, required fields).
//
// Chosen (not a Velero document): a Backup's status is served as
// written, with no derived times; its labels velero.io/schedule-name and
// velero.io/storage-location come from schedule_name and
// storage_location; a PodVolumeBackup's or DataUpload's velero.io/backup-
// uid is the UID of the Backup of its backup_name in the same namespace,
// if there is one.

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Velero's API group, versions and default namespace.
const (
	VeleroGroup = "velero.io"
	// VeleroNamespace is where Velero runs unless an object says
	// otherwise.
	VeleroNamespace = "velero"
	veleroV1        = VeleroGroup + "/v1"
	veleroV2alpha1  = VeleroGroup + "/v2alpha1"
)

// VeleroCRDs is the data of Velero's resources.
type VeleroCRDs struct {
	Backups          []VeleroBackup          `yaml:"backups"`
	Schedules        []VeleroSchedule        `yaml:"schedules"`
	StorageLocations []VeleroStorageLocation `yaml:"storage_locations"`
	PodVolumeBackups []VeleroPodVolumeBackup `yaml:"pod_volume_backups"`
	DataUploads      []VeleroDataUpload      `yaml:"data_uploads"`
}

// VeleroBackupSpec is a BackupSpec (a Backup's spec, a Schedule's
// template).
type VeleroBackupSpec struct {
	IncludedNamespaces []string `yaml:"included_namespaces"`
	ExcludedNamespaces []string `yaml:"excluded_namespaces"`
	// LabelSelector and OrLabelSelectors are matchLabels.
	LabelSelector    map[string]string   `yaml:"label_selector"`
	OrLabelSelectors []map[string]string `yaml:"or_label_selectors"`
	StorageLocation  string              `yaml:"storage_location"`
	// TTL; default 720h0m0s.
	TTL                      string `yaml:"ttl"`
	SnapshotVolumes          *bool  `yaml:"snapshot_volumes"`
	DefaultVolumesToFsBackup *bool  `yaml:"default_volumes_to_fs_backup"`
}

// VeleroBackup is a Backup.
type VeleroBackup struct {
	KubernetesMeta   `yaml:",inline"`
	Namespace        string `yaml:"namespace"`
	VeleroBackupSpec `yaml:",inline"`
	// ScheduleName sets the label velero.io/schedule-name.
	ScheduleName string `yaml:"schedule_name"`
	// Phase is status.phase, served as written ("" is left out: New).
	Phase               string   `yaml:"phase"`
	StartTimestamp      string   `yaml:"start_timestamp"`
	CompletionTimestamp string   `yaml:"completion_timestamp"`
	ExpiresAt           string   `yaml:"expires_at"`
	ValidationErrors    []string `yaml:"validation_errors"`
	FailureReason       string   `yaml:"failure_reason"`
	Warnings            int      `yaml:"warnings"`
	Errors              int      `yaml:"errors"`
	TotalItems          *int     `yaml:"total_items"`
	ItemsBackedUp       *int     `yaml:"items_backed_up"`
	HooksAttempted      *int     `yaml:"hooks_attempted"`
	HooksFailed         *int     `yaml:"hooks_failed"`
	QueuePosition       int      `yaml:"queue_position"`
}

// VeleroSchedule is a Schedule.
type VeleroSchedule struct {
	KubernetesMeta `yaml:",inline"`
	Namespace      string           `yaml:"namespace"`
	Schedule       string           `yaml:"schedule"`
	Paused         bool             `yaml:"paused"`
	Template       VeleroBackupSpec `yaml:"template"`
	// Phase is status.phase: New, Enabled, FailedValidation ("" left out).
	Phase            string   `yaml:"phase"`
	LastBackupTime   string   `yaml:"last_backup_time"`
	ValidationErrors []string `yaml:"validation_errors"`
}

// VeleroStorageLocation is a BackupStorageLocation.
type VeleroStorageLocation struct {
	KubernetesMeta `yaml:",inline"`
	Namespace      string `yaml:"namespace"`
	// Provider; default aws. Bucket; default velero.
	Provider string `yaml:"provider"`
	Bucket   string `yaml:"bucket"`
	Prefix   string `yaml:"prefix"`
	Default  bool   `yaml:"default"`
	// CredentialSecret names the Secret of spec.credential (never served).
	CredentialSecret   string `yaml:"credential_secret"`
	Phase              string `yaml:"phase"`
	Message            string `yaml:"message"`
	LastValidationTime string `yaml:"last_validation_time"`
	LastSyncedTime     string `yaml:"last_synced_time"`
}

// VeleroVolumeCopy is what a PodVolumeBackup and a DataUpload share.
type VeleroVolumeCopy struct {
	KubernetesMeta `yaml:",inline"`
	Namespace      string `yaml:"namespace"`
	// BackupName is the Backup it belongs to (its labels).
	BackupName          string `yaml:"backup_name"`
	Phase               string `yaml:"phase"`
	TotalBytes          int64  `yaml:"total_bytes"`
	BytesDone           int64  `yaml:"bytes_done"`
	StartTimestamp      string `yaml:"start_timestamp"`
	CompletionTimestamp string `yaml:"completion_timestamp"`
	Node                string `yaml:"node"`
}

// VeleroPodVolumeBackup is a PodVolumeBackup of a pod's volume.
type VeleroPodVolumeBackup struct {
	VeleroVolumeCopy `yaml:",inline"`
	PodNamespace     string `yaml:"pod_namespace"`
	PodName          string `yaml:"pod_name"`
	Volume           string `yaml:"volume"`
}

// VeleroDataUpload is a DataUpload of a PVC's snapshot.
type VeleroDataUpload struct {
	VeleroVolumeCopy `yaml:",inline"`
	SourceNamespace  string `yaml:"source_namespace"`
	SourcePVC        string `yaml:"source_pvc"`
}

func init() {
	registerK8sCRDSet(&k8sCRDSet{
		name: "velero", group: VeleroGroup, version: "v1",
		resources: []k8sResourceType{
			{"backups", "Backup", true},
			{"schedules", "Schedule", true},
			{"backupstoragelocations", "BackupStorageLocation", true},
			{"podvolumebackups", "PodVolumeBackup", true},
		},
		newData:   func() any { return &VeleroCRDs{} },
		clone:     veleroClone,
		normalize: veleroNormalize,
		objects:   veleroV1Objects,
	})
	// DataUploads are of another version; their data is the same set's.
	registerK8sCRDSet(&k8sCRDSet{
		name: "velero_v2alpha1", group: VeleroGroup, version: "v2alpha1",
		resources: []k8sResourceType{{"datauploads", "DataUpload", true}},
		clone:     func(dst, src *KubernetesScenario) {},
		normalize: func(*KubernetesScenario) error { return nil },
		objects: func(sc *KubernetesScenario, resource string, fn func(k8sObject)) {
			d := veleroData(sc)
			for i := range d.DataUploads {
				u := &d.DataUploads[i]
				fn(k8sObject{u.ns(), &u.KubernetesMeta, func() any { return veleroDataUploadJSON(u) }})
			}
		},
	})
}

func veleroData(sc *KubernetesScenario) *VeleroCRDs {
	if d, ok := sc.CRDs["velero"].(*VeleroCRDs); ok && d != nil {
		return d
	}
	return &VeleroCRDs{}
}

func (b *VeleroBackup) ns() string          { return firstNonEmpty(b.Namespace, VeleroNamespace) }
func (s *VeleroSchedule) ns() string        { return firstNonEmpty(s.Namespace, VeleroNamespace) }
func (l *VeleroStorageLocation) ns() string { return firstNonEmpty(l.Namespace, VeleroNamespace) }
func (v *VeleroVolumeCopy) ns() string      { return firstNonEmpty(v.Namespace, VeleroNamespace) }

func (s VeleroBackupSpec) clone() VeleroBackupSpec {
	s.IncludedNamespaces = cloneStrings(s.IncludedNamespaces)
	s.ExcludedNamespaces = cloneStrings(s.ExcludedNamespaces)
	s.LabelSelector = cloneMap(s.LabelSelector)
	if s.OrLabelSelectors != nil {
		or := make([]map[string]string, len(s.OrLabelSelectors))
		for i, m := range s.OrLabelSelectors {
			or[i] = cloneMap(m)
		}
		s.OrLabelSelectors = or
	}
	return s
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string{}, s...)
}

func veleroClone(dst, src *KubernetesScenario) {
	d, ok := src.CRDs["velero"].(*VeleroCRDs)
	if !ok || d == nil {
		return
	}
	c := &VeleroCRDs{}
	for _, b := range d.Backups {
		b.KubernetesMeta = b.KubernetesMeta.clone()
		b.VeleroBackupSpec = b.VeleroBackupSpec.clone()
		b.ValidationErrors = cloneStrings(b.ValidationErrors)
		c.Backups = append(c.Backups, b)
	}
	for _, s := range d.Schedules {
		s.KubernetesMeta = s.KubernetesMeta.clone()
		s.Template = s.Template.clone()
		s.ValidationErrors = cloneStrings(s.ValidationErrors)
		c.Schedules = append(c.Schedules, s)
	}
	for _, l := range d.StorageLocations {
		l.KubernetesMeta = l.KubernetesMeta.clone()
		c.StorageLocations = append(c.StorageLocations, l)
	}
	for _, v := range d.PodVolumeBackups {
		v.KubernetesMeta = v.KubernetesMeta.clone()
		c.PodVolumeBackups = append(c.PodVolumeBackups, v)
	}
	for _, u := range d.DataUploads {
		u.KubernetesMeta = u.KubernetesMeta.clone()
		c.DataUploads = append(c.DataUploads, u)
	}
	dst.CRDs["velero"] = c
}

// veleroBackupPhases are BackupPhase's values (backup_types.go).
var veleroBackupPhases = []string{"New", "Queued", "ReadyToStart", "FailedValidation", "InProgress",
	"WaitingForPluginOperations", "WaitingForPluginOperationsPartiallyFailed", "Finalizing",
	"FinalizingPartiallyFailed", "Completed", "PartiallyFailed", "Failed", "Deleting"}

// veleroCopyPhases are the phases of PodVolumeBackups and DataUploads.
var veleroCopyPhases = []string{"New", "Accepted", "Prepared", "InProgress", "Canceling", "Canceled", "Completed", "Failed"}

// veleroNormalize checks the objects against their CRDs and stores the
// labels Velero sets.
func veleroNormalize(sc *KubernetesScenario) error {
	d, ok := sc.CRDs["velero"].(*VeleroCRDs)
	if !ok || d == nil {
		return nil
	}
	uids := map[string]string{}
	for i := range d.Backups {
		b := &d.Backups[i]
		where := fmt.Sprintf("velero backup %q", b.Name)
		if err := errors.Join(oneOf(where+": phase", b.Phase, veleroBackupPhases...), veleroCheckSpec(where, b.VeleroBackupSpec)); err != nil {
			return err
		}
		if b.ScheduleName != "" || b.StorageLocation != "" {
			if b.Labels == nil {
				b.Labels = map[string]string{}
			}
			if b.ScheduleName != "" {
				b.Labels["velero.io/schedule-name"] = veleroValidLabel(b.ScheduleName)
			}
			if b.StorageLocation != "" {
				b.Labels["velero.io/storage-location"] = veleroValidLabel(b.StorageLocation)
			}
		}
		uids[b.ns()+"/"+b.Name] = b.UID
	}
	for i := range d.Schedules {
		s := &d.Schedules[i]
		where := fmt.Sprintf("velero schedule %q", s.Name)
		if s.Schedule == "" {
			return fmt.Errorf("%s: schedule is required", where)
		}
		if err := errors.Join(oneOf(where+": phase", s.Phase, "New", "Enabled", "FailedValidation"), veleroCheckSpec(where, s.Template)); err != nil {
			return err
		}
	}
	for i := range d.StorageLocations {
		if err := oneOf(fmt.Sprintf("velero storage location %q: phase", d.StorageLocations[i].Name), d.StorageLocations[i].Phase, "Available", "Unavailable"); err != nil {
			return err
		}
	}
	label := func(kind string, v *VeleroVolumeCopy) error {
		where := fmt.Sprintf("velero %s %q", kind, v.Name)
		if v.BackupName == "" {
			return fmt.Errorf("%s: backup_name is required", where)
		}
		if err := oneOf(where+": phase", v.Phase, veleroCopyPhases...); err != nil {
			return err
		}
		if v.Labels == nil {
			v.Labels = map[string]string{}
		}
		v.Labels["velero.io/backup-name"] = veleroValidLabel(v.BackupName)
		if uid := uids[v.ns()+"/"+v.BackupName]; uid != "" {
			v.Labels["velero.io/backup-uid"] = uid
		}
		return nil
	}
	for i := range d.PodVolumeBackups {
		p := &d.PodVolumeBackups[i]
		if p.PodNamespace == "" || p.PodName == "" {
			return fmt.Errorf("velero pod volume backup %q: pod_namespace and pod_name are required", p.Name)
		}
		if err := label("pod volume backup", &p.VeleroVolumeCopy); err != nil {
			return err
		}
	}
	for i := range d.DataUploads {
		u := &d.DataUploads[i]
		if u.SourceNamespace == "" || u.SourcePVC == "" {
			return fmt.Errorf("velero data upload %q: source_namespace and source_pvc are required", u.Name)
		}
		if err := label("data upload", &u.VeleroVolumeCopy); err != nil {
			return err
		}
	}
	return nil
}

func veleroCheckSpec(where string, s VeleroBackupSpec) error {
	if s.TTL != "" {
		if _, err := time.ParseDuration(s.TTL); err != nil {
			return fmt.Errorf("%s: ttl %q: %v", where, s.TTL, err)
		}
	}
	if s.LabelSelector != nil && len(s.OrLabelSelectors) > 0 {
		return fmt.Errorf("%s: label_selector and or_label_selectors cannot co-exist", where)
	}
	return nil
}

// veleroValidLabel is label.GetValidName: a name, or for one over 63
// characters its first 57 and 6 hex digits of its SHA-256.
func veleroValidLabel(name string) string {
	if len(name) <= 63 {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:57] + hex.EncodeToString(sum[:])[:6]
}

func veleroV1Objects(sc *KubernetesScenario, resource string, fn func(k8sObject)) {
	d := veleroData(sc)
	switch resource {
	case "backups":
		for i := range d.Backups {
			b := &d.Backups[i]
			fn(k8sObject{b.ns(), &b.KubernetesMeta, func() any { return veleroBackupJSON(b) }})
		}
	case "schedules":
		for i := range d.Schedules {
			s := &d.Schedules[i]
			fn(k8sObject{s.ns(), &s.KubernetesMeta, func() any { return veleroScheduleJSON(s) }})
		}
	case "backupstoragelocations":
		for i := range d.StorageLocations {
			l := &d.StorageLocations[i]
			fn(k8sObject{l.ns(), &l.KubernetesMeta, func() any { return veleroStorageLocationJSON(l) }})
		}
	case "podvolumebackups":
		for i := range d.PodVolumeBackups {
			p := &d.PodVolumeBackups[i]
			fn(k8sObject{p.ns(), &p.KubernetesMeta, func() any { return veleroPodVolumeBackupJSON(p) }})
		}
	}
}

type veleroSelectorJSON struct {
	MatchLabels map[string]string `json:"matchLabels"`
}

type veleroSpecJSON struct {
	CSISnapshotTimeout       string                `json:"csiSnapshotTimeout"`
	DefaultVolumesToFsBackup *bool                 `json:"defaultVolumesToFsBackup,omitempty"`
	ExcludedNamespaces       []string              `json:"excludedNamespaces,omitempty"`
	Hooks                    struct{}              `json:"hooks"`
	IncludedNamespaces       []string              `json:"includedNamespaces,omitempty"`
	ItemOperationTimeout     string                `json:"itemOperationTimeout"`
	LabelSelector            *veleroSelectorJSON   `json:"labelSelector,omitempty"`
	Metadata                 struct{}              `json:"metadata"`
	OrLabelSelectors         []*veleroSelectorJSON `json:"orLabelSelectors,omitempty"`
	SnapshotVolumes          *bool                 `json:"snapshotVolumes,omitempty"`
	StorageLocation          string                `json:"storageLocation,omitempty"`
	TTL                      string                `json:"ttl"`
}

func veleroSpec(s VeleroBackupSpec) veleroSpecJSON {
	j := veleroSpecJSON{
		CSISnapshotTimeout: "10m0s", ItemOperationTimeout: "4h0m0s", TTL: "720h0m0s",
		DefaultVolumesToFsBackup: s.DefaultVolumesToFsBackup, SnapshotVolumes: s.SnapshotVolumes,
		IncludedNamespaces: s.IncludedNamespaces, ExcludedNamespaces: s.ExcludedNamespaces, StorageLocation: s.StorageLocation,
	}
	if s.TTL != "" {
		d, _ := time.ParseDuration(s.TTL)
		j.TTL = d.String()
	}
	if s.LabelSelector != nil {
		j.LabelSelector = &veleroSelectorJSON{s.LabelSelector}
	}
	for _, m := range s.OrLabelSelectors {
		j.OrLabelSelectors = append(j.OrLabelSelectors, &veleroSelectorJSON{m})
	}
	return j
}

func veleroBackupJSON(b *VeleroBackup) k8sObjectJSON {
	type items struct {
		TotalItems    *int `json:"totalItems,omitempty"`
		ItemsBackedUp *int `json:"itemsBackedUp,omitempty"`
	}
	type hooks struct {
		HooksAttempted *int `json:"hooksAttempted,omitempty"`
		HooksFailed    *int `json:"hooksFailed,omitempty"`
	}
	status := struct {
		CompletionTimestamp *string  `json:"completionTimestamp,omitempty"`
		Errors              int      `json:"errors,omitempty"`
		Expiration          *string  `json:"expiration,omitempty"`
		FailureReason       string   `json:"failureReason,omitempty"`
		FormatVersion       string   `json:"formatVersion"`
		HookStatus          *hooks   `json:"hookStatus,omitempty"`
		Phase               string   `json:"phase,omitempty"`
		Progress            *items   `json:"progress,omitempty"`
		QueuePosition       int      `json:"queuePosition,omitempty"`
		StartTimestamp      *string  `json:"startTimestamp,omitempty"`
		ValidationErrors    []string `json:"validationErrors,omitempty"`
		Version             int      `json:"version"`
		Warnings            int      `json:"warnings,omitempty"`
	}{
		CompletionTimestamp: k8sTimePtr(b.CompletionTimestamp), Errors: b.Errors, Expiration: k8sTimePtr(b.ExpiresAt),
		FailureReason: b.FailureReason, FormatVersion: "1.1.0", Phase: b.Phase, QueuePosition: b.QueuePosition,
		StartTimestamp: k8sTimePtr(b.StartTimestamp), ValidationErrors: b.ValidationErrors, Version: 1, Warnings: b.Warnings,
	}
	if b.TotalItems != nil || b.ItemsBackedUp != nil {
		status.Progress = &items{b.TotalItems, b.ItemsBackedUp}
	}
	if b.HooksAttempted != nil || b.HooksFailed != nil {
		status.HookStatus = &hooks{b.HooksAttempted, b.HooksFailed}
	}
	return k8sObjectJSON{veleroV1, "Backup", b.metaJSON(b.ns(), veleroV1), veleroSpec(b.VeleroBackupSpec), status}
}

func veleroScheduleJSON(s *VeleroSchedule) k8sObjectJSON {
	spec := struct {
		Paused                     bool           `json:"paused,omitempty"`
		Schedule                   string         `json:"schedule"`
		Template                   veleroSpecJSON `json:"template"`
		UseOwnerReferencesInBackup bool           `json:"useOwnerReferencesInBackup"`
	}{s.Paused, s.Schedule, veleroSpec(s.Template), false}
	status := struct {
		LastBackup       *string  `json:"lastBackup,omitempty"`
		Phase            string   `json:"phase,omitempty"`
		ValidationErrors []string `json:"validationErrors,omitempty"`
	}{k8sTimePtr(s.LastBackupTime), s.Phase, s.ValidationErrors}
	return k8sObjectJSON{veleroV1, "Schedule", s.metaJSON(s.ns(), veleroV1), spec, status}
}

func veleroStorageLocationJSON(l *VeleroStorageLocation) k8sObjectJSON {
	type credential struct {
		Key  string `json:"key"`
		Name string `json:"name"`
	}
	type objectStorage struct {
		Bucket string `json:"bucket"`
		Prefix string `json:"prefix,omitempty"`
	}
	spec := struct {
		Credential    *credential       `json:"credential,omitempty"`
		Config        map[string]string `json:"config,omitempty"`
		Default       bool              `json:"default,omitempty"`
		ObjectStorage objectStorage     `json:"objectStorage"`
		Provider      string            `json:"provider"`
	}{Default: l.Default, ObjectStorage: objectStorage{firstNonEmpty(l.Bucket, "velero"), l.Prefix}, Provider: firstNonEmpty(l.Provider, "aws"),
		Config: map[string]string{"region": "eu-west-1"}}
	if l.CredentialSecret != "" {
		spec.Credential = &credential{"cloud", l.CredentialSecret}
	}
	status := struct {
		LastSyncedTime     *string `json:"lastSyncedTime,omitempty"`
		LastValidationTime *string `json:"lastValidationTime,omitempty"`
		Message            string  `json:"message,omitempty"`
		Phase              string  `json:"phase,omitempty"`
	}{k8sTimePtr(l.LastSyncedTime), k8sTimePtr(l.LastValidationTime), l.Message, l.Phase}
	return k8sObjectJSON{veleroV1, "BackupStorageLocation", l.metaJSON(l.ns(), veleroV1), spec, status}
}

type veleroProgressJSON struct {
	BytesDone  int64 `json:"bytesDone,omitempty"`
	TotalBytes int64 `json:"totalBytes,omitempty"`
}

type veleroCopyStatusJSON struct {
	CompletionTimestamp *string            `json:"completionTimestamp,omitempty"`
	Phase               string             `json:"phase,omitempty"`
	Progress            veleroProgressJSON `json:"progress"`
	StartTimestamp      *string            `json:"startTimestamp,omitempty"`
}

func (v *VeleroVolumeCopy) statusJSON() veleroCopyStatusJSON {
	return veleroCopyStatusJSON{k8sTimePtr(v.CompletionTimestamp), v.Phase, veleroProgressJSON{v.BytesDone, v.TotalBytes}, k8sTimePtr(v.StartTimestamp)}
}

func veleroPodVolumeBackupJSON(p *VeleroPodVolumeBackup) k8sObjectJSON {
	type pod struct {
		Kind      string `json:"kind"`
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
		UID       string `json:"uid"`
	}
	spec := struct {
		BackupStorageLocation string `json:"backupStorageLocation"`
		Node                  string `json:"node"`
		Pod                   pod    `json:"pod"`
		RepoIdentifier        string `json:"repoIdentifier"`
		UploaderType          string `json:"uploaderType"`
		Volume                string `json:"volume"`
	}{"default", firstNonEmpty(p.Node, "node-1"), pod{"Pod", p.PodName, p.PodNamespace, k8sUID("pods/" + p.PodNamespace + "/" + p.PodName)},
		"s3:s3.amazonaws.com/velero/restic/" + p.PodNamespace, "kopia", firstNonEmpty(p.Volume, "data")}
	return k8sObjectJSON{veleroV1, "PodVolumeBackup", p.metaJSON(p.ns(), veleroV1), spec, p.statusJSON()}
}

func veleroDataUploadJSON(u *VeleroDataUpload) k8sObjectJSON {
	spec := struct {
		BackupStorageLocation string `json:"backupStorageLocation"`
		OperationTimeout      string `json:"operationTimeout"`
		SnapshotType          string `json:"snapshotType"`
		SourceNamespace       string `json:"sourceNamespace"`
		SourcePVC             string `json:"sourcePVC"`
	}{"default", "10m0s", "CSI", u.SourceNamespace, u.SourcePVC}
	return k8sObjectJSON{veleroV2alpha1, "DataUpload", u.metaJSON(u.ns(), veleroV2alpha1), spec, u.statusJSON()}
}
