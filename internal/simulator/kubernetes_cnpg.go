package simulator

// CloudNativePG's custom resources (group postgresql.cnpg.io, version v1:
// Clusters, Backups, ScheduledBackups) and the barman-cloud plugin's
// ObjectStores (group barmancloud.cnpg.io, version v1), served by the
// Kubernetes API server (kubernetes_server.go). Their data is in
// KubernetesScenario.CRDs["cloudnative_pg"] (YAML kubernetes.crds.
// cloudnative_pg); with plugin_not_installed the plugin's group answers
// as a CRD that is not installed.
//
// Sources, and where each shape comes from:
//
//   - cloudnative-pg/cloudnative-pg @ a95a534d (v1.30.0 is the latest tag)
//     config/crd/bases/postgresql.cnpg.io_{clusters,backups,
//     scheduledbackups}.yaml and api/v1/*_types.go: every field served;
//     Backup status.phase values (backup_types.go L31–58: pending, started,
//     running, finalizing, completed, failed, walArchivingFailing,
//     "invalid backup definition"), spec.method (barmanObjectStore, the
//     default, volumeSnapshot, plugin), spec.target (primary,
//     prefer-standby), status startedAt, stoppedAt, reconciliationStartedAt,
//     reconciliationTerminatedAt, backupId, error, commandError, method,
//     serverName, destinationPath and the Secret references
//     s3Credentials.{accessKeyId,secretAccessKey}; ScheduledBackup
//     spec.schedule (six fields, seconds first), suspend, immediate,
//     backupOwnerReference (none, self, cluster), status lastCheckTime,
//     lastScheduleTime, nextScheduleTime; Cluster spec.backup
//     .barmanObjectStore / .volumeSnapshot, spec.plugins[] {name, enabled,
//     isWALArchiver, parameters}, status firstRecoverabilityPoint,
//     lastSuccessfulBackup, lastFailedBackup (strings) and the
//     …ByMethod maps, conditions ContinuousArchiving (reasons
//     ContinuousArchivingSuccess/Failing, "Continuous archiving is
//     working": pkg/management/postgres/webserver/local.go) and
//     LastBackupSucceeded (BackupStarted, LastBackupSucceeded,
//     LastBackupFailed: api/v1/cluster_conditions.go), phase "Cluster in
//     healthy state"; api/v1/cluster_funcs.go UpdateBackupTimes: the flat
//     firstRecoverabilityPoint is the earliest of the per-method ones,
//     lastSuccessfulBackup the latest. Labels cnpg.io/cluster and
//     cnpg.io/scheduled-backup on Backups (pkg/utils/labels_annotations.go).
//   - cloudnative-pg/plugin-barman-cloud @ 9967e2ca (v0.14.0)
//     config/crd/bases/barmancloud.cnpg.io_objectstores.yaml and
//     api/v1/objectstore_types.go: spec.configuration (destinationPath,
//     s3Credentials), spec.retentionPolicy (^[1-9][0-9]*[dwm]$),
//     spec.instanceSidecarConfiguration.retentionPolicyIntervalSeconds
//     (default 1800), status.serverRecoveryWindow[server]
//     {firstRecoverabilityPoint, lastSuccessfulBackupTime,
//     lastFailedBackupTime}; the plugin name barman-cloud.cloudnative-pg.io
//     and its parameters barmanObjectName and serverName.
//   - The projects' samples (docs/src/samples, hack/examples,
//     tests/e2e/fixtures) for the shapes users write.
//
// Not confirmed by any public document, so served only as the scenario
// writes them: no project publishes a CR with a status in YAML or JSON;
// the status fields are served from the Go types. The ScheduledBackup
// webhook's cron check (robfig/cron v1 Parse) is not simulated: a
// scenario may hold a schedule an older operator admitted.
//
// Chosen: a Cluster that archives WAL (barmanObjectStore, or an enabled
// plugin that is the WAL archiver) and whose scenario gives no
// ContinuousArchiving condition is served with it True, as the instance
// manager sets it on every archive_command run.

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
)

// CloudNativePG's API groups and versions.
const (
	CNPGGroup   = "postgresql.cnpg.io"
	CNPGVersion = "v1"
	// CNPGAPIVersion is the apiVersion of Clusters, Backups and
	// ScheduledBackups.
	CNPGAPIVersion = CNPGGroup + "/" + CNPGVersion
	// BarmanCloudGroup and BarmanCloudAPIVersion are the barman-cloud
	// plugin's.
	BarmanCloudGroup      = "barmancloud.cnpg.io"
	BarmanCloudAPIVersion = BarmanCloudGroup + "/v1"
	// BarmanCloudPlugin is the plugin's name in a Cluster's spec.plugins.
	BarmanCloudPlugin = "barman-cloud.cloudnative-pg.io"
)

// The resources served.
const (
	CNPGClusters         = "clusters"
	CNPGBackups          = "backups"
	CNPGScheduledBackups = "scheduledbackups"
	CNPGObjectStores     = "objectstores"
)

// CNPGData is CloudNativePG's part of a scenario.
type CNPGData struct {
	Clusters         []CNPGCluster         `yaml:"clusters"`
	Backups          []CNPGBackup          `yaml:"backups"`
	ScheduledBackups []CNPGScheduledBackup `yaml:"scheduled_backups"`
	ObjectStores     []CNPGObjectStore     `yaml:"object_stores"`
	// PluginNotInstalled leaves the barman-cloud plugin's CRD out: its
	// group answers 404 as one nobody serves (and ObjectStores must be
	// empty).
	PluginNotInstalled bool `yaml:"plugin_not_installed"`
}

// CNPGCluster is a Cluster.
type CNPGCluster struct {
	KubernetesMeta `yaml:",inline"`
	Namespace      string `yaml:"namespace"`
	// Instances; default 3.
	Instances int `yaml:"instances"`
	// BarmanObjectStore is the in-tree spec.backup.barmanObjectStore (its
	// Secret references named after CredentialsSecret, default
	// "<cluster>-backup-creds").
	BarmanObjectStore *CNPGStoreConfig `yaml:"barman_object_store"`
	// VolumeSnapshotClass sets spec.backup.volumeSnapshot.className.
	VolumeSnapshotClass string `yaml:"volume_snapshot_class"`
	// RetentionPolicy is spec.backup.retentionPolicy ("30d").
	RetentionPolicy string       `yaml:"retention_policy"`
	Plugins         []CNPGPlugin `yaml:"plugins"`

	// Status.
	// Phase; default "Cluster in healthy state".
	Phase string `yaml:"phase"`
	// LastSuccessfulBackup and FirstRecoverabilityPoint are the
	// …ByMethod maps (the flat fields are derived from them).
	LastSuccessfulBackup     CNPGMethodTimes `yaml:"last_successful_backup"`
	FirstRecoverabilityPoint CNPGMethodTimes `yaml:"first_recoverability_point"`
	// LastFailedBackupAt is status.lastFailedBackup.
	LastFailedBackupAt string                `yaml:"last_failed_backup_at"`
	Conditions         []KubernetesCondition `yaml:"conditions"`
}

// CNPGStoreConfig is a barman object store configuration: in-tree
// (spec.backup.barmanObjectStore) or an ObjectStore's spec.configuration.
type CNPGStoreConfig struct {
	DestinationPath   string `yaml:"destination_path"`
	EndpointURL       string `yaml:"endpoint_url"`
	CredentialsSecret string `yaml:"credentials_secret"`
}

// CNPGMethodTimes are the times of a Cluster's status …ByMethod map.
type CNPGMethodTimes struct {
	BarmanObjectStoreAt string `yaml:"barman_object_store_at"`
	VolumeSnapshotAt    string `yaml:"volume_snapshot_at"`
}

// CNPGPlugin is an entry of a Cluster's spec.plugins.
type CNPGPlugin struct {
	// Name; default BarmanCloudPlugin.
	Name          string `yaml:"name"`
	Enabled       *bool  `yaml:"enabled"`
	IsWALArchiver *bool  `yaml:"is_wal_archiver"`
	// BarmanObjectName and ServerName are the barman-cloud parameters.
	BarmanObjectName string            `yaml:"barman_object_name"`
	ServerName       string            `yaml:"server_name"`
	Parameters       map[string]string `yaml:"parameters"`
}

// CNPGBackup is a Backup.
type CNPGBackup struct {
	KubernetesMeta `yaml:",inline"`
	Namespace      string `yaml:"namespace"`
	Cluster        string `yaml:"cluster"`
	// Method: barmanObjectStore (default), volumeSnapshot or plugin (then
	// spec.pluginConfiguration.name is BarmanCloudPlugin).
	Method string `yaml:"method"`
	// Target: primary or prefer-standby; left out when empty.
	Target string `yaml:"target"`
	// ScheduledBackup names the ScheduledBackup that created it (label
	// cnpg.io/scheduled-backup).
	ScheduledBackup string `yaml:"scheduled_backup"`

	// Phase is status.phase; "" leaves it out (a Backup the operator has
	// not seen yet).
	Phase                      string `yaml:"phase"`
	StartedAt                  string `yaml:"started_at"`
	StoppedAt                  string `yaml:"stopped_at"`
	ReconciliationStartedAt    string `yaml:"reconciliation_started_at"`
	ReconciliationTerminatedAt string `yaml:"reconciliation_terminated_at"`
	BackupID                   string `yaml:"backup_id"`
	Error                      string `yaml:"error"`
	CommandError               string `yaml:"command_error"`
}

// CNPGScheduledBackup is a ScheduledBackup.
type CNPGScheduledBackup struct {
	KubernetesMeta `yaml:",inline"`
	Namespace      string `yaml:"namespace"`
	Cluster        string `yaml:"cluster"`
	Schedule       string `yaml:"schedule"`
	Suspend        *bool  `yaml:"suspend"`
	Immediate      *bool  `yaml:"immediate"`
	// BackupOwnerReference: none (default), self or cluster.
	BackupOwnerReference string `yaml:"backup_owner_reference"`
	Method               string `yaml:"method"`
	LastCheckTime        string `yaml:"last_check_time"`
	LastScheduleTime     string `yaml:"last_schedule_time"`
	NextScheduleTime     string `yaml:"next_schedule_time"`
}

// CNPGObjectStore is a barman-cloud ObjectStore.
type CNPGObjectStore struct {
	KubernetesMeta `yaml:",inline"`
	Namespace      string          `yaml:"namespace"`
	Configuration  CNPGStoreConfig `yaml:"configuration"`
	// RetentionPolicy: ^[1-9][0-9]*[dwm]$.
	RetentionPolicy string `yaml:"retention_policy"`
	// RecoveryWindows are status.serverRecoveryWindow, by server name.
	RecoveryWindows []CNPGRecoveryWindow `yaml:"recovery_windows"`
}

// CNPGRecoveryWindow is one server's recovery window of an ObjectStore.
type CNPGRecoveryWindow struct {
	Server                     string `yaml:"server"`
	FirstRecoverabilityPointAt string `yaml:"first_recoverability_point_at"`
	LastSuccessfulBackupAt     string `yaml:"last_successful_backup_at"`
	LastFailedBackupAt         string `yaml:"last_failed_backup_at"`
}

const cnpgSetName = "cloudnative_pg"

var (
	cnpgSet = &k8sCRDSet{
		name: cnpgSetName, group: CNPGGroup, version: CNPGVersion,
		resources: []k8sResourceType{
			{CNPGClusters, "Cluster", true},
			{CNPGBackups, "Backup", true},
			{CNPGScheduledBackups, "ScheduledBackup", true},
		},
		defaultGrant: []string{CNPGClusters, CNPGBackups, CNPGScheduledBackups},
		newData:      func() any { return &CNPGData{} },
		clone:        cnpgClone,
		normalize:    cnpgNormalize,
		objects:      cnpgObjects,
	}
	// barmanCloudSet keeps its data with cnpgSet's.
	barmanCloudSet = &k8sCRDSet{
		name: "barman_cloud", group: BarmanCloudGroup, version: "v1",
		resources:    []k8sResourceType{{CNPGObjectStores, "ObjectStore", true}},
		defaultGrant: []string{CNPGObjectStores},
		clone:        func(dst, src *KubernetesScenario) {},
		normalize:    func(*KubernetesScenario) error { return nil },
		objects:      cnpgObjects,
		installed:    func(sc *KubernetesScenario) bool { return !cnpgData(sc).PluginNotInstalled },
	}
)

func init() {
	registerK8sCRDSet(cnpgSet)
	registerK8sCRDSet(barmanCloudSet)
}

// cnpgData is the scenario's CloudNativePG data (an empty one when it has
// none).
func cnpgData(sc *KubernetesScenario) *CNPGData {
	if d, ok := sc.CRDs[cnpgSetName].(*CNPGData); ok && d != nil {
		return d
	}
	return &CNPGData{}
}

func cnpgClone(dst, src *KubernetesScenario) {
	d, ok := src.CRDs[cnpgSetName].(*CNPGData)
	if !ok || d == nil {
		return
	}
	c := &CNPGData{PluginNotInstalled: d.PluginNotInstalled}
	for _, cl := range d.Clusters {
		cl.KubernetesMeta = cl.KubernetesMeta.clone()
		if cl.BarmanObjectStore != nil {
			cl.BarmanObjectStore = ptr(*cl.BarmanObjectStore)
		}
		cl.Plugins = slices.Clone(cl.Plugins)
		for i := range cl.Plugins {
			cl.Plugins[i].Parameters = cloneMap(cl.Plugins[i].Parameters)
		}
		cl.Conditions = slices.Clone(cl.Conditions)
		c.Clusters = append(c.Clusters, cl)
	}
	for _, b := range d.Backups {
		b.KubernetesMeta = b.KubernetesMeta.clone()
		c.Backups = append(c.Backups, b)
	}
	for _, s := range d.ScheduledBackups {
		s.KubernetesMeta = s.KubernetesMeta.clone()
		c.ScheduledBackups = append(c.ScheduledBackups, s)
	}
	for _, o := range d.ObjectStores {
		o.KubernetesMeta = o.KubernetesMeta.clone()
		o.RecoveryWindows = slices.Clone(o.RecoveryWindows)
		c.ObjectStores = append(c.ObjectStores, o)
	}
	dst.CRDs[cnpgSetName] = c
}

var (
	cnpgPhases          = []string{"pending", "started", "running", "finalizing", "completed", "failed", "walArchivingFailing", "invalid backup definition"}
	cnpgRetentionPolicy = regexp.MustCompile(`^[1-9][0-9]*[dwm]$`)
)

// cnpgNormalize checks the objects against their CRDs (required fields,
// enums, patterns) and fills the stored defaults.
func cnpgNormalize(sc *KubernetesScenario) error {
	d, ok := sc.CRDs[cnpgSetName].(*CNPGData)
	if !ok || d == nil {
		return nil
	}
	if d.PluginNotInstalled && len(d.ObjectStores) > 0 {
		return errors.New("cloudnative_pg: object_stores with plugin_not_installed")
	}
	for i := range d.Clusters {
		c := &d.Clusters[i]
		if c.Instances == 0 {
			c.Instances = 3
		}
		if c.Instances < 0 {
			return fmt.Errorf("cluster %s/%s: instances %d < 0", c.Namespace, c.Name, c.Instances)
		}
		for j := range c.Plugins {
			if c.Plugins[j].Name == "" {
				c.Plugins[j].Name = BarmanCloudPlugin
			}
		}
		if c.RetentionPolicy != "" && !cnpgRetentionPolicy.MatchString(c.RetentionPolicy) {
			return fmt.Errorf("cluster %s/%s: retention_policy %q must match %s", c.Namespace, c.Name, c.RetentionPolicy, cnpgRetentionPolicy)
		}
	}
	for _, b := range d.Backups {
		where := fmt.Sprintf("backup %s/%s", b.Namespace, b.Name)
		if b.Cluster == "" {
			return fmt.Errorf("%s: cluster is required", where)
		}
		if err := errors.Join(
			oneOf(where+": phase", b.Phase, cnpgPhases...),
			oneOf(where+": method", b.Method, "barmanObjectStore", "volumeSnapshot", "plugin"),
			oneOf(where+": target", b.Target, "primary", "prefer-standby"),
		); err != nil {
			return err
		}
	}
	for _, s := range d.ScheduledBackups {
		where := fmt.Sprintf("scheduled backup %s/%s", s.Namespace, s.Name)
		if s.Cluster == "" || s.Schedule == "" {
			return fmt.Errorf("%s: cluster and schedule are required", where)
		}
		if err := errors.Join(
			oneOf(where+": backup_owner_reference", s.BackupOwnerReference, "none", "self", "cluster"),
			oneOf(where+": method", s.Method, "barmanObjectStore", "volumeSnapshot", "plugin"),
		); err != nil {
			return err
		}
	}
	for _, o := range d.ObjectStores {
		if o.RetentionPolicy != "" && !cnpgRetentionPolicy.MatchString(o.RetentionPolicy) {
			return fmt.Errorf("object store %s/%s: retention_policy %q must match %s", o.Namespace, o.Name, o.RetentionPolicy, cnpgRetentionPolicy)
		}
		seen := map[string]bool{}
		for _, w := range o.RecoveryWindows {
			if w.Server == "" || seen[w.Server] {
				return fmt.Errorf("object store %s/%s: recovery window server %q empty or repeated", o.Namespace, o.Name, w.Server)
			}
			seen[w.Server] = true
		}
	}
	return nil
}

// cnpgObjects calls fn with every object of a resource of either set.
func cnpgObjects(sc *KubernetesScenario, resource string, fn func(k8sObject)) {
	d, ok := sc.CRDs[cnpgSetName].(*CNPGData)
	if !ok || d == nil {
		return
	}
	switch resource {
	case CNPGClusters:
		for i := range d.Clusters {
			c := &d.Clusters[i]
			fn(k8sObject{c.Namespace, &c.KubernetesMeta, func() any { return cnpgClusterJSON(*c) }})
		}
	case CNPGBackups:
		for i := range d.Backups {
			b := &d.Backups[i]
			fn(k8sObject{b.Namespace, &b.KubernetesMeta, func() any { return cnpgBackupJSON(d, *b) }})
		}
	case CNPGScheduledBackups:
		for i := range d.ScheduledBackups {
			s := &d.ScheduledBackups[i]
			fn(k8sObject{s.Namespace, &s.KubernetesMeta, func() any { return cnpgScheduledBackupJSON(*s) }})
		}
	case CNPGObjectStores:
		for i := range d.ObjectStores {
			o := &d.ObjectStores[i]
			fn(k8sObject{o.Namespace, &o.KubernetesMeta, func() any { return cnpgObjectStoreJSON(*o) }})
		}
	}
}

type cnpgSecretRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

type cnpgS3Credentials struct {
	AccessKeyID     cnpgSecretRef `json:"accessKeyId"`
	SecretAccessKey cnpgSecretRef `json:"secretAccessKey"`
}

type cnpgStoreJSON struct {
	DestinationPath string             `json:"destinationPath"`
	EndpointURL     string             `json:"endpointURL,omitempty"`
	S3Credentials   *cnpgS3Credentials `json:"s3Credentials,omitempty"`
	Wal             map[string]string  `json:"wal,omitempty"`
}

// storeJSON is the configuration, its credentials the Secret named
// secret (never the Secret's data: the exporter must not follow it).
func (c CNPGStoreConfig) storeJSON(secret string) cnpgStoreJSON {
	secret = firstNonEmpty(c.CredentialsSecret, secret)
	return cnpgStoreJSON{
		DestinationPath: firstNonEmpty(c.DestinationPath, "s3://backups/"), EndpointURL: c.EndpointURL,
		S3Credentials: &cnpgS3Credentials{cnpgSecretRef{secret, "ACCESS_KEY_ID"}, cnpgSecretRef{secret, "ACCESS_SECRET_KEY"}},
		Wal:           map[string]string{"compression": "gzip"},
	}
}

// archivesWAL reports whether the Cluster archives WAL.
func (c CNPGCluster) archivesWAL() bool {
	if c.BarmanObjectStore != nil {
		return true
	}
	for _, p := range c.Plugins {
		if (p.Enabled == nil || *p.Enabled) && p.IsWALArchiver != nil && *p.IsWALArchiver {
			return true
		}
	}
	return false
}

func cnpgClusterJSON(c CNPGCluster) k8sObjectJSON {
	type pluginJSON struct {
		Name          string            `json:"name"`
		Enabled       bool              `json:"enabled"`
		IsWALArchiver bool              `json:"isWALArchiver"`
		Parameters    map[string]string `json:"parameters,omitempty"`
	}
	type backupJSON struct {
		BarmanObjectStore *cnpgStoreJSON    `json:"barmanObjectStore,omitempty"`
		VolumeSnapshot    map[string]string `json:"volumeSnapshot,omitempty"`
		RetentionPolicy   string            `json:"retentionPolicy,omitempty"`
		Target            string            `json:"target"`
	}
	spec := map[string]any{
		"instances": c.Instances, "primaryUpdateStrategy": "unsupervised",
		"storage": map[string]string{"size": "1Gi"}, "enableSuperuserAccess": false,
	}
	if c.BarmanObjectStore != nil || c.VolumeSnapshotClass != "" || c.RetentionPolicy != "" {
		b := backupJSON{RetentionPolicy: c.RetentionPolicy, Target: "prefer-standby"}
		if c.BarmanObjectStore != nil {
			b.BarmanObjectStore = ptr(c.BarmanObjectStore.storeJSON(c.Name + "-backup-creds"))
		}
		if c.VolumeSnapshotClass != "" {
			b.VolumeSnapshot = map[string]string{"className": c.VolumeSnapshotClass}
		}
		spec["backup"] = b
	}
	var plugins []pluginJSON
	for _, p := range c.Plugins {
		params := maps.Clone(p.Parameters)
		if p.BarmanObjectName != "" || p.ServerName != "" {
			if params == nil {
				params = map[string]string{}
			}
			if p.BarmanObjectName != "" {
				params["barmanObjectName"] = p.BarmanObjectName
			}
			if p.ServerName != "" {
				params["serverName"] = p.ServerName
			}
		}
		plugins = append(plugins, pluginJSON{p.Name, p.Enabled == nil || *p.Enabled, p.IsWALArchiver != nil && *p.IsWALArchiver, params})
	}
	if plugins != nil {
		spec["plugins"] = plugins
	}

	byMethod := func(m CNPGMethodTimes) map[string]string {
		out := map[string]string{}
		if m.BarmanObjectStoreAt != "" {
			out["barmanObjectStore"] = k8sTime(m.BarmanObjectStoreAt)
		}
		if m.VolumeSnapshotAt != "" {
			out["volumeSnapshot"] = k8sTime(m.VolumeSnapshotAt)
		}
		return out
	}
	// UpdateBackupTimes: the flat fields are the earliest first point and
	// the latest success over the methods (strings, RFC 3339).
	pick := func(m map[string]string, later bool) string {
		best := ""
		for _, v := range m {
			if best == "" || (later && v > best) || (!later && v < best) {
				best = v
			}
		}
		return best
	}
	conditions := slices.Clone(c.Conditions)
	if c.archivesWAL() && !slices.ContainsFunc(conditions, func(k KubernetesCondition) bool { return k.Type == "ContinuousArchiving" }) {
		conditions = append(conditions, KubernetesCondition{Type: "ContinuousArchiving", Status: "True",
			Reason: "ContinuousArchivingSuccess", Message: "Continuous archiving is working"})
	}
	instances := make([]string, 0, c.Instances)
	for i := 1; i <= c.Instances; i++ {
		instances = append(instances, fmt.Sprintf("%s-%d", c.Name, i))
	}
	success, first := byMethod(c.LastSuccessfulBackup), byMethod(c.FirstRecoverabilityPoint)
	status := struct {
		Instances                        int                `json:"instances"`
		ReadyInstances                   int                `json:"readyInstances"`
		InstanceNames                    []string           `json:"instanceNames,omitempty"`
		CurrentPrimary                   string             `json:"currentPrimary,omitempty"`
		Phase                            string             `json:"phase"`
		FirstRecoverabilityPoint         string             `json:"firstRecoverabilityPoint,omitempty"`
		FirstRecoverabilityPointByMethod map[string]string  `json:"firstRecoverabilityPointByMethod,omitempty"`
		LastSuccessfulBackup             string             `json:"lastSuccessfulBackup,omitempty"`
		LastSuccessfulBackupByMethod     map[string]string  `json:"lastSuccessfulBackupByMethod,omitempty"`
		LastFailedBackup                 string             `json:"lastFailedBackup,omitempty"`
		Conditions                       []k8sConditionJSON `json:"conditions,omitempty"`
	}{
		Instances: c.Instances, ReadyInstances: c.Instances, InstanceNames: instances,
		Phase:                    firstNonEmpty(c.Phase, "Cluster in healthy state"),
		FirstRecoverabilityPoint: pick(first, false), FirstRecoverabilityPointByMethod: first,
		LastSuccessfulBackup: pick(success, true), LastSuccessfulBackupByMethod: success,
		LastFailedBackup: k8sTime(c.LastFailedBackupAt),
	}
	if len(instances) > 0 {
		status.CurrentPrimary = instances[0]
	}
	if len(conditions) > 0 {
		status.Conditions = k8sConditions(conditions)
	}
	return k8sObjectJSON{CNPGAPIVersion, "Cluster", c.metaJSON(c.Namespace, CNPGAPIVersion), spec, status}
}

func cnpgBackupJSON(d *CNPGData, b CNPGBackup) k8sObjectJSON {
	method := firstNonEmpty(b.Method, "barmanObjectStore")
	spec := map[string]any{"cluster": map[string]string{"name": b.Cluster}, "method": method}
	if b.Target != "" {
		spec["target"] = b.Target
	}
	if method == "plugin" {
		spec["pluginConfiguration"] = map[string]string{"name": BarmanCloudPlugin}
	}
	m := b.metaJSON(b.Namespace, CNPGAPIVersion)
	m.Labels = cloneMap(m.Labels)
	if m.Labels == nil {
		m.Labels = map[string]string{}
	}
	m.Labels["cnpg.io/cluster"] = b.Cluster
	if b.ScheduledBackup != "" {
		m.Labels["cnpg.io/scheduled-backup"] = b.ScheduledBackup
	}
	type status struct {
		Method                     string             `json:"method,omitempty"`
		Phase                      string             `json:"phase,omitempty"`
		StartedAt                  string             `json:"startedAt,omitempty"`
		StoppedAt                  string             `json:"stoppedAt,omitempty"`
		ReconciliationStartedAt    string             `json:"reconciliationStartedAt,omitempty"`
		ReconciliationTerminatedAt string             `json:"reconciliationTerminatedAt,omitempty"`
		BackupID                   string             `json:"backupId,omitempty"`
		Error                      string             `json:"error,omitempty"`
		CommandError               string             `json:"commandError,omitempty"`
		ServerName                 string             `json:"serverName,omitempty"`
		DestinationPath            string             `json:"destinationPath,omitempty"`
		S3Credentials              *cnpgS3Credentials `json:"s3Credentials,omitempty"`
	}
	var st *status
	if b.Phase != "" {
		st = &status{
			Method: method, Phase: b.Phase, StartedAt: k8sTime(b.StartedAt), StoppedAt: k8sTime(b.StoppedAt),
			ReconciliationStartedAt: k8sTime(b.ReconciliationStartedAt), ReconciliationTerminatedAt: k8sTime(b.ReconciliationTerminatedAt),
			BackupID: b.BackupID, Error: b.Error, CommandError: b.CommandError,
		}
		if method == "barmanObjectStore" {
			for _, c := range d.Clusters {
				if c.Namespace == b.Namespace && c.Name == b.Cluster && c.BarmanObjectStore != nil {
					cfg := c.BarmanObjectStore.storeJSON(c.Name + "-backup-creds")
					st.ServerName, st.DestinationPath, st.S3Credentials = c.Name, cfg.DestinationPath, cfg.S3Credentials
				}
			}
		}
	}
	var out any
	if st != nil {
		out = st
	}
	return k8sObjectJSON{CNPGAPIVersion, "Backup", m, spec, out}
}

func cnpgScheduledBackupJSON(s CNPGScheduledBackup) k8sObjectJSON {
	spec := map[string]any{
		"cluster": map[string]string{"name": s.Cluster}, "schedule": s.Schedule,
		"backupOwnerReference": firstNonEmpty(s.BackupOwnerReference, "none"),
		"method":               firstNonEmpty(s.Method, "barmanObjectStore"),
		"target":               "prefer-standby",
	}
	if s.Suspend != nil {
		spec["suspend"] = *s.Suspend
	}
	if s.Immediate != nil {
		spec["immediate"] = *s.Immediate
	}
	if s.Method == "plugin" {
		spec["pluginConfiguration"] = map[string]string{"name": BarmanCloudPlugin}
	}
	status := map[string]string{}
	for k, v := range map[string]string{"lastCheckTime": s.LastCheckTime, "lastScheduleTime": s.LastScheduleTime, "nextScheduleTime": s.NextScheduleTime} {
		if v != "" {
			status[k] = k8sTime(v)
		}
	}
	return k8sObjectJSON{CNPGAPIVersion, "ScheduledBackup", s.metaJSON(s.Namespace, CNPGAPIVersion), spec, status}
}

func cnpgObjectStoreJSON(o CNPGObjectStore) k8sObjectJSON {
	spec := map[string]any{
		"configuration":                o.Configuration.storeJSON(o.Name + "-creds"),
		"instanceSidecarConfiguration": map[string]int{"retentionPolicyIntervalSeconds": 1800},
	}
	if o.RetentionPolicy != "" {
		spec["retentionPolicy"] = o.RetentionPolicy
	}
	type window struct {
		FirstRecoverabilityPoint string `json:"firstRecoverabilityPoint,omitempty"`
		LastSuccessfulBackupTime string `json:"lastSuccessfulBackupTime,omitempty"`
		LastFailedBackupTime     string `json:"lastFailedBackupTime,omitempty"`
	}
	var status any
	if len(o.RecoveryWindows) > 0 {
		ws := map[string]window{}
		for _, w := range o.RecoveryWindows {
			ws[w.Server] = window{k8sTime(w.FirstRecoverabilityPointAt), k8sTime(w.LastSuccessfulBackupAt), k8sTime(w.LastFailedBackupAt)}
		}
		status = map[string]any{"serverRecoveryWindow": ws}
	}
	return k8sObjectJSON{BarmanCloudAPIVersion, "ObjectStore", o.metaJSON(o.Namespace, BarmanCloudAPIVersion), spec, status}
}

// UpdateCloudNativePG calls fn with the scenario's CloudNativePG data
// under the server's lock, then checks it and gives every object a new
// resource version; continue tokens issued before expire.
func (s *Server) UpdateCloudNativePG(fn func(*CNPGData)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.k8s.sc.clone()
	if c.CRDs == nil {
		c.CRDs = KubernetesCRDs{}
	}
	d, ok := c.CRDs[cnpgSetName].(*CNPGData)
	if !ok || d == nil {
		d = &CNPGData{}
		c.CRDs[cnpgSetName] = d
	}
	fn(d)
	if err := c.normalize(); err != nil {
		return fmt.Errorf("kubernetes: %w", err)
	}
	st := s.k8s
	st.sc = c
	rv := st.changed()
	c.eachObject(func(set *k8sCRDSet, _ k8sResourceType, o k8sObject) {
		if set == cnpgSet || set == barmanCloudSet {
			o.meta.rv = rv
		}
	})
	st.gen++
	return nil
}
