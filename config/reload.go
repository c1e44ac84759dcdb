package config

import (
	"sync"
	"time"

	"github.com/backup-exporter/backup_exporter/internal/metricinfo"
	"github.com/prometheus/client_golang/prometheus"
)

// Live is the running configuration: loaded from a file, reloaded on
// demand, and kept as it is when a reload fails.
type Live struct {
	path  string
	kinds []TargetType
	apply func(*Config) error

	mu  sync.RWMutex // serialises reloads and guards cfg
	cfg *Config

	success   prometheus.Gauge
	successTS prometheus.Gauge
	now       func() time.Time
}

// The reload metrics.
var (
	infoReloadSuccess = metricinfo.Info{Name: "backup_exporter_config_last_reload_successful", Type: metricinfo.Gauge,
		Help: "Whether the last configuration (re)load succeeded."}
	infoReloadSuccessTS = metricinfo.Info{Name: "backup_exporter_config_last_reload_success_timestamp_seconds", Type: metricinfo.Gauge,
		Help: "When the configuration was last loaded successfully."}
)

// MetricInfos describe the reload metrics.
func MetricInfos() []metricinfo.Info {
	return []metricinfo.Info{infoReloadSuccess, infoReloadSuccessTS}
}

// NewLive returns a Live for the file at path, whose targets may be of
// the given kinds. apply is called with every
// newly validated configuration; when it fails, the reload fails and the
// previous configuration stays. The reload gauges are registered on reg.
func NewLive(path string, kinds []TargetType, apply func(*Config) error, reg prometheus.Registerer) *Live {
	l := &Live{
		path:      path,
		kinds:     kinds,
		apply:     apply,
		success:   infoReloadSuccess.Gauge(),
		successTS: infoReloadSuccessTS.Gauge(),
		now:       time.Now,
	}
	if reg != nil {
		reg.MustRegister(l.success, l.successTS)
	}
	return l
}

// Reload reads, validates and applies the file. On any error the running
// configuration is kept and backup_exporter_config_last_reload_successful
// drops to 0.
func (l *Live) Reload() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	cfg, err := Load(l.path, l.kinds)
	if err == nil && l.apply != nil {
		err = l.apply(cfg)
	}
	if err != nil {
		l.success.Set(0)
		return err
	}
	l.cfg = cfg
	l.success.Set(1)
	l.successTS.Set(float64(l.now().UnixNano()) / 1e9)
	return nil
}

// Config returns the running configuration (nil before the first
// successful load).
func (l *Live) Config() *Config {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.cfg
}
