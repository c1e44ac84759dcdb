// The tunables of the backup_exporter mixin. Override any of them with
//
//   (import 'mixin.libsonnet') + { _config+:: { staleFactor: 2 } }
//
// (maps such as alertFor merge with +: alertFor+: { BackupStale: '1h' }).
{
  _config+:: {
    // Selector of the exporter's scrape jobs in `up`: BackupExporterDown
    // (expression and description) and the "Exporter up" panel of the
    // backup_exporter dashboard. The shipped prometheus.yml, the
    // ServiceMonitor and the Helm chart name the jobs backup_exporter and
    // backup_exporter_probe.
    exporterSelector: 'job=~"backup_exporter.*"',

    // A resource is stale when its last success is older than staleFactor
    // times backup_expected_interval_seconds: BackupStale, the recording
    // rules backup:stale:bool and backup:resources:count{status="stale"},
    // and the Stale panels and threshold line of the Backups overview.
    staleFactor: 1.5,

    // BackupStuck: a backup running for stuckWindow with no change in its
    // progress, that was already running stuckRunningLookback before the
    // window started (present_over_time(...[stuckRunningLookback] offset
    // stuckWindow)).
    stuckWindow: '6h',
    stuckRunningLookback: '1h',

    // BackupExporterThrottled: throttled retries over throttledRetryWindow,
    // or fewer than azureReadsLeftThreshold Azure Resource Manager reads
    // left (also the threshold line of the "ARM read quota left" panel).
    throttledRetryWindow: '15m',
    azureReadsLeftThreshold: 100,

    // BackupRetentionShort: the recovery window (time() -
    // backup_oldest_success_timestamp_seconds) shorter than
    // retentionFactor x backup_expected_retention_seconds minus one
    // expected interval (the newest backups come and the oldest go one
    // interval apart); below 1 gives slack (0.9: 10 % short before
    // alerting).
    retentionFactor: 1,

    // `for` of each alert. BackupExporterTargetDown's also appears in its
    // description and in the "Target up" panel's, BackupExporterThrottled's
    // in its comment.
    alertFor: {
      BackupFailed: '15m',
      BackupUnhealthy: '15m',
      BackupStale: '30m',
      BackupStuck: '15m',
      BackupUnprotected: '1h',
      BackupMirrorBroken: '15m',
      BackupRetentionShort: '1h',
      BackupExporterTargetDown: '30m',
      BackupExporterDown: '5m',
      BackupExporterThrottled: '30m',
      BackupExporterShardMismatch: '15m',
    },

    // Who owns a resource (backup_resource_info): the labels of it that
    // every backup alert (failed, unhealthy, stale, stuck, unprotected,
    // mirror broken, retention short) carries, so that Alertmanager can
    // route on them, e.g. ['tag_team', 'label_team']. Each alert is joined
    // with backup_resource_info by (provider, target, resource_id); a
    // resource without that series (its target sets neither
    // resource_labels nor static_labels) still raises the alert, without
    // the labels. The Backups overview dashboard gains a column and a
    // filter variable per label. Allowlist (resource_labels) only the
    // keys you route on: each value is a label of every alert.
    ownerLabels: [],

    // The severity label of each alert (critical or warning).
    alertSeverity: {
      BackupFailed: 'warning',
      BackupUnhealthy: 'warning',
      BackupStale: 'critical',
      BackupStuck: 'warning',
      BackupUnprotected: 'warning',
      BackupMirrorBroken: 'critical',
      BackupRetentionShort: 'warning',
      BackupExporterTargetDown: 'critical',
      BackupExporterDown: 'critical',
      BackupExporterThrottled: 'warning',
      BackupExporterShardMismatch: 'warning',
    },

    // runbook_url of an alert: runbookBaseURL + '#' + the alert name in
    // lower case (a "## <alert>" section of the runbook).
    runbookBaseURL: 'https://github.com/backup-exporter/backup_exporter/blob/main/deploy/prometheus/runbook.md',
  },
}
