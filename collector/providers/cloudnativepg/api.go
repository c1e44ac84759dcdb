package cloudnativepg

import (
	"context"

	json "github.com/segmentio/encoding/json"

	"github.com/backup-exporter/backup_exporter/collector/providers/kubernetes"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// The API groups and versions read: CloudNativePG's own resources
// (clusters, backups, scheduledbackups) and the barman-cloud plugin's
// ObjectStores.
const (
	cnpgPrefix   = "/apis/postgresql.cnpg.io/v1"
	pluginPrefix = "/apis/barmancloud.cnpg.io/v1"
)

// pageSize is the limit of each list request.
const pageSize = 500

// barmanCloudPlugin is the name of the barman-cloud plugin in a Cluster's
// spec.plugins (plugin-barman-cloud internal/cnpgi/metadata/constants.go).
const barmanCloudPlugin = "barman-cloud.cloudnative-pg.io"

// meta is the metadata every resource has. Times are metav1.Time: RFC
// 3339, absent or null when unset. Labels are decoded for Clusters only
// (clusterMeta): a Backup's would cost a map each, by the thousand.
type meta struct {
	Name              string `json:"name"`
	Namespace         string `json:"namespace"`
	CreationTimestamp string `json:"creationTimestamp"`
	DeletionTimestamp string `json:"deletionTimestamp"`
}

// object is a namespaced resource.
type object struct {
	Metadata meta `json:"metadata"`
}

// Check implements toolkit.Checked for the resources without a reference
// to check (promoted through the embedded object): an item that does not
// name itself cannot be matched.
func (o *object) Check() error { return o.Metadata.check() }

func (m *meta) check() error {
	return toolkit.Require("metadata.name", m.Name, "metadata.namespace", m.Namespace)
}

// id is the namespace/name of the object.
func (o *object) id() string { return o.Metadata.id() }

func (m *meta) id() string { return m.Namespace + "/" + m.Name }

// clusterRef is spec.cluster of a Backup or ScheduledBackup (required by
// the CRDs): the Cluster of the same namespace it belongs to.
type clusterRef struct {
	Cluster struct {
		Name string `json:"name"`
	} `json:"cluster"`
}

// condition is a metav1.Condition of the Cluster's status.
type condition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// pluginConfiguration is an entry of a Cluster's spec.plugins (enabled
// defaults to true, isWALArchiver to false). Its parameters are the
// plugin's own keys: only barman-cloud's two are read (a struct, not a
// map: the JSON decoder makes every map room for 64 entries).
type pluginConfiguration struct {
	Name          string `json:"name"`
	Enabled       *bool  `json:"enabled"`
	IsWALArchiver *bool  `json:"isWALArchiver"`
	Parameters    struct {
		BarmanObjectName string `json:"barmanObjectName"`
		ServerName       string `json:"serverName"`
	} `json:"parameters"`
}

func (p *pluginConfiguration) enabled() bool { return p.Enabled == nil || *p.Enabled }

// cluster is a Cluster: a protected resource. Its status keeps the
// in-tree backup times (deprecated, "not set for backup plugins"): the
// flat ones are strings, the …ByMethod maps metav1.Time.
type cluster struct {
	Metadata struct {
		meta
		// Labels are the owners' labels (backup_resource_info), kept raw
		// and decoded only when the target wants them (labels).
		Labels json.RawMessage `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		Backup *struct {
			BarmanObjectStore json.RawMessage `json:"barmanObjectStore"`
		} `json:"backup"`
		Plugins []pluginConfiguration `json:"plugins"`
	} `json:"spec"`
	Status struct {
		FirstRecoverabilityPointByMethod byMethod    `json:"firstRecoverabilityPointByMethod"`
		LastSuccessfulBackupByMethod     byMethod    `json:"lastSuccessfulBackupByMethod"`
		LastFailedBackup                 string      `json:"lastFailedBackup"`
		Conditions                       []condition `json:"conditions"`
	} `json:"status"`
}

// Check implements toolkit.Checked: a Cluster names itself.
func (c *cluster) Check() error { return c.Metadata.check() }

func (c *cluster) id() string { return c.Metadata.id() }

// labels are the Cluster's metadata.labels, in a map of their own size;
// none when they are not a map of strings (no field a record needs).
func (c *cluster) labels() map[string]string { return kubernetes.OwnerLabels(c.Metadata.Labels) }

// byMethod is a Cluster's status map by backup method, of the two
// in-tree methods (keys volumeSnapshot and barmanObjectStore).
type byMethod struct {
	VolumeSnapshot    string `json:"volumeSnapshot"`
	BarmanObjectStore string `json:"barmanObjectStore"`
}

// backup is a Backup of a Cluster.
type backup struct {
	object
	Spec   clusterRef `json:"spec"`
	Status struct {
		Phase                      string `json:"phase"`
		StartedAt                  string `json:"startedAt"`
		StoppedAt                  string `json:"stoppedAt"`
		ReconciliationStartedAt    string `json:"reconciliationStartedAt"`
		ReconciliationTerminatedAt string `json:"reconciliationTerminatedAt"`
		Error                      string `json:"error"`
		CommandError               string `json:"commandError"`
	} `json:"status"`
}

// Check implements toolkit.Checked: a Backup names its Cluster.
func (b *backup) Check() error {
	return toolkit.Require("metadata.name", b.Metadata.Name, "metadata.namespace", b.Metadata.Namespace, "spec.cluster.name", b.Spec.Cluster.Name)
}

// scheduledBackup is a ScheduledBackup of a Cluster: its schedule is six
// cron fields, seconds first (robfig/cron v1 Parse).
type scheduledBackup struct {
	object
	Spec struct {
		clusterRef
		Suspend  *bool  `json:"suspend"`
		Schedule string `json:"schedule"`
	} `json:"spec"`
}

// Check implements toolkit.Checked: a ScheduledBackup names its Cluster.
func (s *scheduledBackup) Check() error {
	return toolkit.Require("metadata.name", s.Metadata.Name, "metadata.namespace", s.Metadata.Namespace, "spec.cluster.name", s.Spec.Cluster.Name)
}

func (s *scheduledBackup) suspended() bool { return s.Spec.Suspend != nil && *s.Spec.Suspend }

// recoveryWindow is an entry of an ObjectStore's
// status.serverRecoveryWindow (lastFailedBackupTime from plugin v0.6.0).
type recoveryWindow struct {
	FirstRecoverabilityPoint string `json:"firstRecoverabilityPoint"`
	LastSuccessfulBackupTime string `json:"lastSuccessfulBackupTime"`
	LastFailedBackupTime     string `json:"lastFailedBackupTime"`
}

// objectStore is a barman-cloud plugin ObjectStore: the recovery window
// of each server (Cluster) that backs up to it. Its spec names the
// Secrets of the bucket credentials; it is not decoded.
type objectStore struct {
	object
	Status struct {
		ServerRecoveryWindow map[string]recoveryWindow `json:"serverRecoveryWindow"`
	} `json:"status"`
}

// list reads one resource at prefix in every configured namespace (or
// across the cluster).
func list[T any, PT interface {
	*T
	toolkit.Checked
}](ctx context.Context, p *provider, prefix, resource string) ([]T, error) {
	return kubernetes.ListIn[T, PT](ctx, p.k8s, prefix, resource, p.namespaces, kubernetes.ListOptions{Limit: pageSize})
}
