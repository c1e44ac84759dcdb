package simulator

// Longhorn's custom resources (group longhorn.io, version v1beta2) served
// by the Kubernetes API server (kubernetes_server.go): Volumes, Backups,
// BackupVolumes, RecurringJobs and BackupTargets, all in Longhorn's
// namespace. Their data is KubernetesScenario.CRDs["longhorn"]
// (LonghornData; YAML kubernetes.crds.longhorn).
//
// Sources, and where each shape comes from (longhorn/longhorn-manager at
// commit 5ddaa369fa7e3b0da9ee9fd42dbec24e25f793f6):
//
//   - k8s/pkg/apis/longhorn/v1beta2/{volume,backup,backupvolume,
//     recurringjob,backuptarget,misc}.go: every field name, its JSON tag
//     and omitempty (most status fields are strings without omitempty,
//     served as "" when unset; metav1.Time fields without a value are
//     null); Backup status.state "", Pending, InProgress, Completed, Error,
//     Unknown, Deleting (Deleting only with a deletionTimestamp), progress
//     an int, sizes decimal strings of bytes, the JSON names
//     newlyUploadDataSize and reUploadedDataSize, status.messages a map;
//     RecurringJob tasks snapshot, snapshot-force-create,
//     snapshot-cleanup, snapshot-delete, backup, backup-force-create,
//     filesystem-trim, system-backup, retentionPolicy count-based (the
//     CRD default) or age-based; BackupTarget status.available (no
//     omitempty) and its only condition type Unavailable, reason
//     Unavailable (status "True" while unavailable).
//   - types/types.go: the unprefixed labels backup-volume and
//     backup-target on Backups and BackupVolumes, the job and group labels
//     recurring-job.longhorn.io/<job> and recurring-job-group.longhorn.io/
//     <group> with the value "enabled", the default backup target
//     "default", BackupVolume names <volume>-<first 8 hex of
//     sha256("<volume>-<target>")> (GetBackupVolumeNameFromVolumeName).
//   - datastore/longhorn.go FixupRecurringJob / labelRecurringJobDefault:
//     a Volume with no label starting recurring-job.longhorn.io or
//     recurring-job-group.longhorn.io gets
//     recurring-job-group.longhorn.io/default: enabled on every create and
//     update, so it is served with it; webhook/resources/volume/mutator.go:
//     spec.backupTargetName defaults to "default" and the Volume carries
//     the label backup-target: <its target>; webhook/resources/backup/
//     mutator.go and datastore CreateBackup: a Backup carries
//     backup-volume: <volume> and backup-target: <target>.
//   - vendor/github.com/longhorn/backupstore/deltablock.go and util/util.go:
//     backupCreatedAt is when the upload finished and snapshotCreatedAt the
//     snapshot's time, both RFC 3339 UTC; BackupVolume status.lastBackupAt
//     is the newest backup's snapshot time.
//   - kubernetes/kubernetes_pv_controller.go: status.kubernetesStatus keeps
//     namespace and pvcName once the PVC is gone, lastPVCRefAt set.
//
// Not confirmed by any public document (Longhorn publishes no CR with a
// status), so chosen here:
//   - Backup status.url, replicaAddress, ownerID and compressionMethod
//     values; BackupTarget status.ownerID; Volume status fields other than
//     state, robustness, kubernetesStatus, lastBackup and lastBackupAt are
//     not served.
//   - A RecurringJob's cron is served as written: Longhorn's webhook would
//     refuse one that robfig/cron v1.2.0 ParseStandard refuses.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Longhorn's API group and version.
const (
	LonghornGroup   = "longhorn.io"
	LonghornVersion = "v1beta2"
	// LonghornAPIVersion is the apiVersion of the served objects.
	LonghornAPIVersion = LonghornGroup + "/" + LonghornVersion
	// LonghornCRDSet is the key of Longhorn's data in KubernetesScenario.CRDs.
	LonghornCRDSet = "longhorn"
	// LonghornDefaultNamespace is where the objects live by default.
	LonghornDefaultNamespace = "longhorn-system"
)

// The Longhorn resources served.
const (
	LonghornVolumes       = "volumes"
	LonghornBackups       = "backups"
	LonghornBackupVolumes = "backupvolumes"
	LonghornRecurringJobs = "recurringjobs"
	LonghornBackupTargets = "backuptargets"
)

var longhorn = &k8sCRDSet{
	name:    LonghornCRDSet,
	group:   LonghornGroup,
	version: LonghornVersion,
	resources: []k8sResourceType{
		{LonghornVolumes, "Volume", true},
		{LonghornBackups, "Backup", true},
		{LonghornBackupVolumes, "BackupVolume", true},
		{LonghornRecurringJobs, "RecurringJob", true},
		{LonghornBackupTargets, "BackupTarget", true},
	},
	defaultGrant: []string{LonghornVolumes, LonghornBackups, LonghornBackupVolumes, LonghornRecurringJobs, LonghornBackupTargets},
	newData:      func() any { return &LonghornData{} },
	clone:        lhClone,
	normalize:    lhNormalize,
	objects:      lhObjects,
}

func init() { registerK8sCRDSet(longhorn) }

// LonghornData is Longhorn's objects in one namespace.
type LonghornData struct {
	// Namespace holds every object; default longhorn-system. It must be a
	// namespace of the scenario.
	Namespace     string                 `yaml:"namespace"`
	Volumes       []LonghornVolume       `yaml:"volumes"`
	Backups       []LonghornBackup       `yaml:"backups"`
	BackupVolumes []LonghornBackupVolume `yaml:"backup_volumes"`
	RecurringJobs []LonghornRecurringJob `yaml:"recurring_jobs"`
	BackupTargets []LonghornBackupTarget `yaml:"backup_targets"`
}

// LonghornVolume is a Volume CR (its name is the PV's, pvc-<uid>, when
// made for a PVC).
type LonghornVolume struct {
	KubernetesMeta `yaml:",inline"`
	// SizeBytes; default 10 GiB.
	SizeBytes int64 `yaml:"size_bytes"`
	// BackupTarget is spec.backupTargetName; default "default".
	BackupTarget string `yaml:"backup_target"`
	// State: attached (default) or detached; Robustness: healthy
	// (default), degraded, faulted or unknown.
	State      string `yaml:"state"`
	Robustness string `yaml:"robustness"`
	// PVCNamespace and PVCName are the PVC the volume is (or was) bound
	// to; PVCReleasedAt (status.kubernetesStatus.lastPVCRefAt) set means
	// that PVC is gone.
	PVCNamespace  string `yaml:"pvc_namespace"`
	PVCName       string `yaml:"pvc_name"`
	PVCReleasedAt string `yaml:"pvc_released_at"`
	// LinkedClone (spec.cloneMode linked-clone): Longhorn gives it no
	// default group label.
	LinkedClone bool `yaml:"linked_clone"`
}

// LonghornBackup is a Backup CR.
type LonghornBackup struct {
	KubernetesMeta `yaml:",inline"`
	// Volume it backs up (label backup-volume, status.volumeName); it may
	// name a volume that no longer exists.
	Volume string `yaml:"volume"`
	// Target is the backup target; default the volume's, else "default".
	Target string `yaml:"target"`
	// State is status.state: New (served as "", Longhorn's new backup),
	// Pending, InProgress, Completed (the default), Error, Unknown or
	// Deleting.
	State string `yaml:"state"`
	// Progress in percent; default 100 when Completed, else 0.
	Progress *int   `yaml:"progress"`
	Error    string `yaml:"error"`
	// Messages is status.messages.
	Messages map[string]string `yaml:"messages"`
	// SnapshotCreatedAt; default the creation time (InProgress and
	// finished backups), empty for new and Pending ones.
	SnapshotCreatedAt string `yaml:"snapshot_created_at"`
	// BackupCreatedAt (upload finished); Completed only, default the
	// snapshot time plus 3 minutes.
	BackupCreatedAt string `yaml:"backup_created_at"`
	// SizeBytes, NewlyUploadedBytes and ReUploadedBytes are served as
	// decimal strings ("" when nil).
	SizeBytes          *int64 `yaml:"size_bytes"`
	NewlyUploadedBytes *int64 `yaml:"newly_uploaded_bytes"`
	ReUploadedBytes    *int64 `yaml:"re_uploaded_bytes"`
	// Mode: incremental (default) or full.
	Mode string `yaml:"mode"`
}

// LonghornBackupVolume is a BackupVolume CR: one volume's backups on one
// target. Its name defaults to Longhorn's <volume>-<hash>.
type LonghornBackupVolume struct {
	KubernetesMeta `yaml:",inline"`
	Volume         string `yaml:"volume"`
	// Target; default "default".
	Target         string `yaml:"target"`
	LastBackupName string `yaml:"last_backup_name"`
	LastBackupAt   string `yaml:"last_backup_at"`
	SizeBytes      int64  `yaml:"size_bytes"`
	DataStored     int64  `yaml:"data_stored"`
}

// LonghornRecurringJob is a RecurringJob CR.
type LonghornRecurringJob struct {
	KubernetesMeta `yaml:",inline"`
	// Task (required): snapshot, snapshot-force-create, snapshot-cleanup,
	// snapshot-delete, backup, backup-force-create, filesystem-trim or
	// system-backup.
	Task string `yaml:"task"`
	// Cron (required), five fields or a descriptor, served as written.
	Cron   string   `yaml:"cron"`
	Groups []string `yaml:"groups"`
	// Retain; default 7. Concurrency; default 1.
	Retain      int `yaml:"retain"`
	Concurrency int `yaml:"concurrency"`
	// RetentionPolicy: count-based (default) or age-based.
	RetentionPolicy string            `yaml:"retention_policy"`
	Labels          map[string]string `yaml:"job_labels"`
	Parameters      map[string]string `yaml:"parameters"`
	ExecutionCount  int               `yaml:"execution_count"`
}

// LonghornBackupTarget is a BackupTarget CR.
type LonghornBackupTarget struct {
	KubernetesMeta `yaml:",inline"`
	URL            string `yaml:"url"`
	// CredentialSecret names its Secret (the exporter never reads it).
	CredentialSecret string `yaml:"credential_secret"`
	// Available; default true. Unavailable, Message is the Unavailable
	// condition's.
	Available    *bool  `yaml:"available"`
	Message      string `yaml:"message"`
	LastSyncedAt string `yaml:"last_synced_at"`
}

// longhornData is the scenario's Longhorn data (nil: none).
func longhornData(sc *KubernetesScenario) *LonghornData {
	d, _ := sc.CRDs[LonghornCRDSet].(*LonghornData)
	return d
}

func (d *LonghornData) namespace() string {
	return firstNonEmpty(d.Namespace, LonghornDefaultNamespace)
}

// LonghornBackupVolumeName is Longhorn's name of the BackupVolume of a
// volume on a target.
func LonghornBackupVolumeName(volume, target string) string {
	h := sha256.Sum256([]byte(strings.TrimSpace(volume + "-" + target)))
	return volume + "-" + hex.EncodeToString(h[:])[:8]
}

func lhClone(dst, src *KubernetesScenario) {
	d := longhornData(src)
	if d == nil {
		return
	}
	c := &LonghornData{Namespace: d.Namespace}
	for _, v := range d.Volumes {
		v.KubernetesMeta = v.KubernetesMeta.clone()
		c.Volumes = append(c.Volumes, v)
	}
	for _, b := range d.Backups {
		b.KubernetesMeta = b.KubernetesMeta.clone()
		b.Messages = maps.Clone(b.Messages)
		c.Backups = append(c.Backups, b)
	}
	for _, bv := range d.BackupVolumes {
		bv.KubernetesMeta = bv.KubernetesMeta.clone()
		c.BackupVolumes = append(c.BackupVolumes, bv)
	}
	for _, j := range d.RecurringJobs {
		j.KubernetesMeta = j.KubernetesMeta.clone()
		j.Groups = slices.Clone(j.Groups)
		j.Labels, j.Parameters = maps.Clone(j.Labels), maps.Clone(j.Parameters)
		c.RecurringJobs = append(c.RecurringJobs, j)
	}
	for _, t := range d.BackupTargets {
		t.KubernetesMeta = t.KubernetesMeta.clone()
		c.BackupTargets = append(c.BackupTargets, t)
	}
	dst.CRDs[LonghornCRDSet] = c
}

// lhNormalize checks the objects against their CRDs and Longhorn's
// webhooks.
func lhNormalize(sc *KubernetesScenario) error {
	d := longhornData(sc)
	if d == nil {
		return nil
	}
	for _, b := range d.Backups {
		where := fmt.Sprintf("longhorn: backup %q", b.Name)
		switch {
		case b.Volume == "":
			return fmt.Errorf("%s: volume is required", where)
		case b.State == "Deleting" && b.DeletionTimestamp == "":
			return fmt.Errorf("%s: state Deleting needs a deletion_timestamp (Longhorn sets it only while deleting)", where)
		case b.Progress != nil && (*b.Progress < 0 || *b.Progress > 100):
			return fmt.Errorf("%s: progress %d outside 0-100", where, *b.Progress)
		}
		if err := oneOf(where+": state", b.State, "Pending", "InProgress", "Completed", "Error", "Unknown", "Deleting", "New"); err != nil {
			return err
		}
		if err := oneOf(where+": mode", b.Mode, "full", "incremental"); err != nil {
			return err
		}
	}
	for _, bv := range d.BackupVolumes {
		if bv.Volume == "" {
			return fmt.Errorf("longhorn: backup volume %q: volume is required", bv.Name)
		}
	}
	for _, j := range d.RecurringJobs {
		where := fmt.Sprintf("longhorn: recurring job %q", j.Name)
		if j.Task == "" || j.Cron == "" {
			return fmt.Errorf("%s: task and cron are required", where)
		}
		if err := oneOf(where+": task", j.Task, "snapshot", "snapshot-force-create", "snapshot-cleanup", "snapshot-delete",
			"backup", "backup-force-create", "filesystem-trim", "system-backup"); err != nil {
			return err
		}
		if err := oneOf(where+": retention_policy", j.RetentionPolicy, "count-based", "age-based"); err != nil {
			return err
		}
	}
	for _, v := range d.Volumes {
		where := fmt.Sprintf("longhorn: volume %q", v.Name)
		if err := oneOf(where+": state", v.State, "attached", "detached", "creating", "attaching", "detaching", "deleting"); err != nil {
			return err
		}
		if err := oneOf(where+": robustness", v.Robustness, "healthy", "degraded", "faulted", "unknown"); err != nil {
			return err
		}
	}
	return nil
}

// lhObjects calls fn with every object of a resource. A BackupVolume
// without a name gets Longhorn's (the server checks names after this).
func lhObjects(sc *KubernetesScenario, resource string, fn func(k8sObject)) {
	d := longhornData(sc)
	if d == nil {
		return
	}
	ns := d.namespace()
	switch resource {
	case LonghornVolumes:
		for i := range d.Volumes {
			v := &d.Volumes[i]
			fn(k8sObject{ns, &v.KubernetesMeta, func() any { return lhVolumeJSON(d, *v) }})
		}
	case LonghornBackups:
		for i := range d.Backups {
			b := &d.Backups[i]
			fn(k8sObject{ns, &b.KubernetesMeta, func() any { return lhBackupJSON(d, *b) }})
		}
	case LonghornBackupVolumes:
		for i := range d.BackupVolumes {
			bv := &d.BackupVolumes[i]
			if bv.Name == "" && bv.Volume != "" {
				bv.Name = LonghornBackupVolumeName(bv.Volume, firstNonEmpty(bv.Target, "default"))
			}
			fn(k8sObject{ns, &bv.KubernetesMeta, func() any { return lhBackupVolumeJSON(ns, *bv) }})
		}
	case LonghornRecurringJobs:
		for i := range d.RecurringJobs {
			j := &d.RecurringJobs[i]
			fn(k8sObject{ns, &j.KubernetesMeta, func() any { return lhRecurringJobJSON(ns, *j) }})
		}
	case LonghornBackupTargets:
		for i := range d.BackupTargets {
			t := &d.BackupTargets[i]
			fn(k8sObject{ns, &t.KubernetesMeta, func() any { return lhBackupTargetJSON(ns, *t) }})
		}
	}
}

// lhVolumeTarget is a volume's backup target ("default" when it names
// none, or when there is no such volume).
func lhVolumeTarget(d *LonghornData, volume string) string {
	for _, v := range d.Volumes {
		if v.Name == volume {
			return firstNonEmpty(v.BackupTarget, "default")
		}
	}
	return "default"
}

func lhVolumeJSON(d *LonghornData, v LonghornVolume) k8sObjectJSON {
	target := firstNonEmpty(v.BackupTarget, "default")
	labels := maps.Clone(v.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels["backup-target"] = target
	jobLabel := false
	for k := range labels {
		jobLabel = jobLabel || strings.HasPrefix(k, "recurring-job.longhorn.io") || strings.HasPrefix(k, "recurring-job-group.longhorn.io")
	}
	if !jobLabel && !v.LinkedClone {
		labels["recurring-job-group.longhorn.io/default"] = "enabled"
	}
	m := v.KubernetesMeta
	m.Labels = labels
	size := v.SizeBytes
	if size == 0 {
		size = 10 << 30
	}
	spec := map[string]any{
		"size": fmt.Sprint(size), "numberOfReplicas": 3, "dataEngine": "v1", "frontend": "blockdev",
		"accessMode": "rwo", "backupTargetName": target, "dataLocality": "disabled", "snapshotMaxCount": 250,
	}
	if v.LinkedClone {
		spec["cloneMode"] = "linked-clone"
	}
	type kubernetesStatus struct {
		PVName          string `json:"pvName"`
		PVStatus        string `json:"pvStatus"`
		Namespace       string `json:"namespace"`
		PVCName         string `json:"pvcName"`
		LastPVCRefAt    string `json:"lastPVCRefAt"`
		WorkloadsStatus []any  `json:"workloadsStatus"`
		LastPodRefAt    string `json:"lastPodRefAt"`
	}
	ks := kubernetesStatus{}
	if v.PVCName != "" {
		ks = kubernetesStatus{PVName: v.Name, PVStatus: "Bound", Namespace: v.PVCNamespace, PVCName: v.PVCName, LastPVCRefAt: k8sTime(v.PVCReleasedAt)}
		if v.PVCReleasedAt != "" {
			ks.PVStatus = "Released"
		}
	}
	// status.lastBackup and lastBackupAt: copied from the BackupVolume of
	// the volume's target (volume_controller.go).
	lastBackup, lastBackupAt := "", ""
	for _, bv := range d.BackupVolumes {
		if bv.Volume == v.Name && firstNonEmpty(bv.Target, "default") == target {
			lastBackup, lastBackupAt = bv.LastBackupName, k8sTime(bv.LastBackupAt)
		}
	}
	status := map[string]any{
		"state": firstNonEmpty(v.State, "attached"), "robustness": firstNonEmpty(v.Robustness, "healthy"),
		"kubernetesStatus": ks, "conditions": []any{}, "lastBackup": lastBackup, "lastBackupAt": lastBackupAt,
	}
	return k8sObjectJSON{LonghornAPIVersion, "Volume", m.metaJSON(d.namespace(), LonghornAPIVersion), spec, status}
}

// lhAddMinutes is the RFC 3339 time n minutes after ts ("" when ts is
// not a time).
func lhAddMinutes(ts string, n int) string {
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return ""
	}
	return t.Add(time.Duration(n) * time.Minute).UTC().Format(time.RFC3339)
}

func lhBytes(n *int64) string {
	if n == nil {
		return ""
	}
	return fmt.Sprint(*n)
}

func lhBackupJSON(d *LonghornData, b LonghornBackup) k8sObjectJSON {
	target := firstNonEmpty(b.Target, lhVolumeTarget(d, b.Volume))
	m := b.KubernetesMeta
	m.Labels = maps.Clone(b.Labels)
	if m.Labels == nil {
		m.Labels = map[string]string{}
	}
	m.Labels["backup-volume"], m.Labels["backup-target"] = b.Volume, target
	state := b.State
	switch state {
	case "New":
		state = ""
	case "":
		state = "Completed"
	}
	progress := 0
	if state == "Completed" {
		progress = 100
	}
	if b.Progress != nil {
		progress = *b.Progress
	}
	snapshot := b.SnapshotCreatedAt
	if snapshot == "" && state != "" && state != "Pending" {
		snapshot = b.CreationTimestamp
	}
	done := ""
	if state == "Completed" {
		done = b.BackupCreatedAt
		if done == "" {
			done = lhAddMinutes(snapshot, 3)
		}
	}
	spec := map[string]any{
		"syncRequestedAt": nil, "snapshotName": "snap-" + b.Name, "labels": map[string]string{"longhorn.io/volume-access-mode": "rwo"},
		"backupMode": firstNonEmpty(b.Mode, "incremental"), "backupBlockSize": "2097152",
	}
	status := struct {
		OwnerID                string            `json:"ownerID"`
		State                  string            `json:"state"`
		Progress               int               `json:"progress"`
		ReplicaAddress         string            `json:"replicaAddress"`
		Error                  string            `json:"error,omitempty"`
		URL                    string            `json:"url"`
		SnapshotName           string            `json:"snapshotName"`
		SnapshotCreatedAt      string            `json:"snapshotCreatedAt"`
		BackupCreatedAt        string            `json:"backupCreatedAt"`
		Size                   string            `json:"size"`
		Labels                 map[string]string `json:"labels"`
		Messages               map[string]string `json:"messages"`
		VolumeName             string            `json:"volumeName"`
		VolumeSize             string            `json:"volumeSize"`
		VolumeCreated          string            `json:"volumeCreated"`
		VolumeBackingImageName string            `json:"volumeBackingImageName"`
		LastSyncedAt           *string           `json:"lastSyncedAt"`
		CompressionMethod      string            `json:"compressionMethod"`
		NewlyUploadDataSize    string            `json:"newlyUploadDataSize"`
		ReUploadedDataSize     string            `json:"reUploadedDataSize"`
		BackupTargetName       string            `json:"backupTargetName"`
	}{
		OwnerID: "longhorn-node-1", State: state, Progress: progress, ReplicaAddress: "tcp://10.42.0.21:10000", Error: b.Error,
		SnapshotName: "snap-" + b.Name, SnapshotCreatedAt: k8sTime(snapshot), BackupCreatedAt: k8sTime(done),
		Size: lhBytes(b.SizeBytes), Labels: map[string]string{"longhorn.io/volume-access-mode": "rwo"}, Messages: b.Messages,
		VolumeName: b.Volume, VolumeSize: fmt.Sprint(int64(10 << 30)), CompressionMethod: "lz4",
		NewlyUploadDataSize: lhBytes(b.NewlyUploadedBytes), ReUploadedDataSize: lhBytes(b.ReUploadedBytes), BackupTargetName: target,
	}
	if state == "Completed" {
		status.URL = "s3://longhorn-backups@us-east-1/?backup=" + b.Name + "&volume=" + b.Volume
		status.LastSyncedAt = ptr(k8sTime(done))
	}
	return k8sObjectJSON{LonghornAPIVersion, "Backup", m.metaJSON(d.namespace(), LonghornAPIVersion), spec, status}
}

func lhBackupVolumeJSON(ns string, bv LonghornBackupVolume) k8sObjectJSON {
	target := firstNonEmpty(bv.Target, "default")
	m := bv.KubernetesMeta
	m.Labels = maps.Clone(bv.Labels)
	if m.Labels == nil {
		m.Labels = map[string]string{}
	}
	m.Labels["backup-volume"], m.Labels["backup-target"] = bv.Volume, target
	spec := map[string]any{"backupTargetName": target, "syncRequestedAt": nil, "volumeName": bv.Volume}
	status := map[string]any{
		"ownerID": "longhorn-node-1", "lastModificationTime": nil, "size": fmt.Sprint(bv.SizeBytes), "labels": nil,
		"createdAt": k8sTime(bv.CreationTimestamp), "lastBackupName": bv.LastBackupName, "lastBackupAt": k8sTime(bv.LastBackupAt),
		"dataStored": fmt.Sprint(bv.DataStored), "messages": nil, "backingImageName": "", "backingImageChecksum": "",
		"storageClassName": "longhorn", "lastSyncedAt": k8sTimePtr(firstNonEmpty(bv.LastBackupAt, bv.CreationTimestamp)),
	}
	return k8sObjectJSON{LonghornAPIVersion, "BackupVolume", m.metaJSON(ns, LonghornAPIVersion), spec, status}
}

func lhRecurringJobJSON(ns string, j LonghornRecurringJob) k8sObjectJSON {
	retain, concurrency := j.Retain, j.Concurrency
	if retain == 0 {
		retain = 7
	}
	if concurrency == 0 {
		concurrency = 1
	}
	spec := struct {
		Name            string            `json:"name"`
		Groups          []string          `json:"groups,omitempty"`
		Task            string            `json:"task"`
		Cron            string            `json:"cron"`
		Retain          int               `json:"retain"`
		RetentionPolicy string            `json:"retentionPolicy,omitempty"`
		Concurrency     int               `json:"concurrency"`
		Labels          map[string]string `json:"labels,omitempty"`
		Parameters      map[string]string `json:"parameters,omitempty"`
	}{j.Name, j.Groups, j.Task, j.Cron, retain, firstNonEmpty(j.RetentionPolicy, "count-based"), concurrency, j.Labels, j.Parameters}
	status := map[string]any{"ownerID": "longhorn-node-1", "executionCount": j.ExecutionCount}
	return k8sObjectJSON{LonghornAPIVersion, "RecurringJob", j.metaJSON(ns, LonghornAPIVersion), spec, status}
}

func lhBackupTargetJSON(ns string, t LonghornBackupTarget) k8sObjectJSON {
	available := t.Available == nil || *t.Available
	type condition struct {
		Type               string `json:"type"`
		Status             string `json:"status"`
		LastProbeTime      string `json:"lastProbeTime"`
		LastTransitionTime string `json:"lastTransitionTime"`
		Reason             string `json:"reason"`
		Message            string `json:"message"`
	}
	conditions := []condition{}
	if !available {
		conditions = append(conditions, condition{"Unavailable", "True", "", k8sTime(firstNonEmpty(t.LastSyncedAt, t.CreationTimestamp)), "Unavailable", t.Message})
	}
	spec := map[string]any{
		"backupTargetURL": t.URL, "credentialSecret": t.CredentialSecret, "pollInterval": "5m0s", "syncRequestedAt": nil,
	}
	status := map[string]any{
		"ownerID": "longhorn-node-1", "available": available, "conditions": conditions,
		"lastSyncedAt": k8sTimePtr(t.LastSyncedAt),
	}
	return k8sObjectJSON{LonghornAPIVersion, "BackupTarget", t.metaJSON(ns, LonghornAPIVersion), spec, status}
}
