package cloudnativepg

import (
	"time"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// window is where a Cluster's recovery window comes from besides its
// Backups: the barman-cloud plugin's ObjectStore when the Cluster uses
// the plugin, and the in-tree times of its own status.
type window struct {
	// plugin is set when an enabled spec.plugins entry is barman-cloud.
	plugin bool
	// store is the ObjectStore's window for the Cluster's server; nil
	// when it could not be read (note says why).
	store *recoveryWindow
	note  string
}

// barmanCloud returns the Cluster's enabled barman-cloud plugin entry,
// if any.
func (c *cluster) barmanCloud() *pluginConfiguration {
	for i := range c.Spec.Plugins {
		if pc := &c.Spec.Plugins[i]; pc.Name == barmanCloudPlugin && pc.enabled() {
			return pc
		}
	}
	return nil
}

// windowOf finds the Cluster's recovery window in its ObjectStore
// (parameters.barmanObjectName, same namespace), under its server name
// (parameters.serverName, else the Cluster's name): plugin-barman-cloud
// internal/cnpgi/operator/config/config.go.
func (p *provider) windowOf(c *cluster, read bool, stores map[string]*objectStore) window {
	pc := c.barmanCloud()
	if pc == nil {
		return window{}
	}
	w := window{plugin: true}
	name := pc.Parameters.BarmanObjectName
	server := pc.Parameters.ServerName
	if server == "" {
		server = c.Metadata.Name
	}
	switch {
	case !read && p.plugin == PluginFalse:
		w.note = "the barman-cloud plugin's ObjectStores are not read (barman_cloud_plugin: false)"
	case !read:
		w.note = "the barman-cloud plugin is not installed: no ObjectStore to read"
	case name == "":
		w.note = "the barman-cloud plugin entry names no barmanObjectName"
	case stores[c.Metadata.Namespace+"/"+name] == nil:
		w.note = "ObjectStore " + name + " not found"
	default:
		rw, ok := stores[c.Metadata.Namespace+"/"+name].Status.ServerRecoveryWindow[server]
		if !ok {
			w.note = "ObjectStore " + name + " has no recovery window for server " + server + " yet"
			break
		}
		w.store = &rw
	}
	return w
}

// walArchive reports whether the Cluster archives WAL: the in-tree
// spec.backup.barmanObjectStore, or an enabled plugin that is the WAL
// archiver.
func (c *cluster) walArchive() bool {
	if c.inTreeObjectStore() {
		return true
	}
	for i := range c.Spec.Plugins {
		if pc := &c.Spec.Plugins[i]; pc.enabled() && pc.IsWALArchiver != nil && *pc.IsWALArchiver {
			return true
		}
	}
	return false
}

// inTreeObjectStore reports whether spec.backup.barmanObjectStore is set.
func (c *cluster) inTreeObjectStore() bool {
	b := c.Spec.Backup
	return b != nil && len(b.BarmanObjectStore) > 0 && string(b.BarmanObjectStore) != "null"
}

// inTree is the Cluster's own per-method values of m (one of its status'
// …ByMethod maps): volumeSnapshot always, barmanObjectStore only while
// spec.backup.barmanObjectStore is set (after a migration to the plugin
// that entry is stale).
func (c *cluster) inTree(m byMethod) []time.Time {
	var out []time.Time
	if t := toolkit.ParseTime(m.VolumeSnapshot); !t.IsZero() {
		out = append(out, t)
	}
	if c.inTreeObjectStore() {
		if t := toolkit.ParseTime(m.BarmanObjectStore); !t.IsZero() {
			out = append(out, t)
		}
	}
	return out
}

// condition returns the Cluster's condition of type typ, if any.
func (c *cluster) condition(typ string) *condition {
	for i := range c.Status.Conditions {
		if c.Status.Conditions[i].Type == typ {
			return &c.Status.Conditions[i]
		}
	}
	return nil
}
