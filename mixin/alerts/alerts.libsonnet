// Alerts: the group backup_exporter.alerts of rules.yml. Each alert starts
// from u.alert(cfg, name) (for, severity and runbook_url from _config) and
// adds its expression and annotations. A comment:: (hidden: Prometheus and
// mixtool never see it) becomes the YAML comment above the alert in the
// generated deploy/prometheus/rules.yml. Every alert needs a "## <name>"
// section in deploy/prometheus/runbook.md and firing and quiet cases in
// deploy/prometheus/rules_test.yml.
local u = import '../lib/utils.libsonnet';

{
  local cfg = $._config,

  prometheusAlerts+:: {
    groups+: [
      {
        name: 'backup_exporter.alerts',
        // The alerts about one resource carry its owner labels
        // (_config.ownerLabels, u.withOwner); those about the exporter
        // and its targets do not.
        rules: [
          r { expr: u.withOwner(cfg, super.expr) }
          for r in [
            u.alert(cfg, 'BackupFailed') {
              comment:: 'The latest backup of the resource failed.',
              expr: 'backup_state{state="failed"} == 1',
              annotations+: {
                summary: 'Latest backup of {{ $labels.resource_name }} failed',
                description: 'The latest backup of {{ $labels.resource_name }} ({{ $labels.provider }} target {{ $labels.target }}) is in state failed. See backup_error_info{resource_id="{{ $labels.resource_id }}"} for the provider\'s error.',
              },
            },

            u.alert(cfg, 'BackupUnhealthy') {
              comment:: |||
                Unhealthy for any other reason than a failed latest backup (that
                one is BackupFailed): the `unless` deduplicates, so one broken
                backup raises one alert, with no Alertmanager inhibition needed.
                Left here: a cancelled newest finished backup, an Astra backup that
                completed with failed hooks, a CBR child in error, a failed backup
                followed by one still running.
              |||,
              expr: |||
                backup_healthy == 0
                unless on (provider, target, resource_id)
                  (backup_state{state="failed"} == 1)
              |||,
              annotations+: {
                summary: 'Backup of {{ $labels.resource_name }} is unhealthy',
                description: 'The backup of {{ $labels.resource_name }} ({{ $labels.provider }} target {{ $labels.target }}) is unhealthy although its latest backup is not in state failed: a cancelled or failed newest finished backup, failed hooks (not application-consistent), a failed child backup, or an unhealthy replication.',
              },
            },

            u.alert(cfg, 'BackupStale') {
              comment:: |||
                Last success older than %(staleFactor)s x the expected interval. A resource
                whose backups were all listed and none succeeded has a last success
                of 0, so it is stale too. Written as "last success < now - %(staleFactor)s x
                interval" (the same as "now - last success > %(staleFactor)s x interval") so
                that the alert's value is the last success timestamp: 0 = never.
              ||| % cfg,
              expr: |||
                (
                  backup_last_success_timestamp_seconds
                    < (time() - %(staleFactor)s * backup_expected_interval_seconds)
                )
                and on (provider, target)
                  (backup_exporter_target_up == 1)
              ||| % cfg,
              annotations+: {
                summary: 'No recent successful backup of {{ $labels.resource_name }}',
                description: '{{ $labels.resource_name }} ({{ $labels.provider }} target {{ $labels.target }}) {{ if eq $value 0.0 }}has never had a successful backup{{ else }}was last backed up successfully at {{ $value | humanizeTimestamp }}{{ end }}, more than %s times its expected backup interval ago.' % cfg.staleFactor,
              },
            },

            u.alert(cfg, 'BackupStuck') {
              local p = { window: cfg.stuckWindow, lookback: cfg.stuckRunningLookback, human: u.humanDuration(cfg.stuckWindow) },
              comment:: |||
                Running for %(human)s with no progress: backup_state running all
                along (and already %(window)s ago), a progress indicator present
                (backup_progress_ratio or, for ANF, backup_transferred_bytes) and
                neither of them changed. A resource that exposes no progress
                indicator at all never raises it (we cannot tell slow from stuck).
              ||| % p,
              expr: |||
                (min_over_time(backup_state{state="running"}[%(window)s]) == 1)
                and on (provider, target, resource_id)
                  present_over_time(backup_state{state="running"}[%(lookback)s] offset %(window)s)
                and on (provider, target, resource_id)
                  (present_over_time(backup_progress_ratio[%(window)s]) or present_over_time(backup_transferred_bytes[%(window)s]))
                unless on (provider, target, resource_id)
                  (changes(backup_progress_ratio[%(window)s]) > 0)
                unless on (provider, target, resource_id)
                  (changes(backup_transferred_bytes[%(window)s]) > 0)
                and on (provider, target)
                  (backup_exporter_target_up == 1)
              ||| % p,
              annotations+: {
                summary: 'Backup of {{ $labels.resource_name }} makes no progress',
                description: 'A backup of {{ $labels.resource_name }} ({{ $labels.provider }} target {{ $labels.target }}) has been running for more than %s with no change in its progress or transferred bytes.' % p.human,
              },
            },

            u.alert(cfg, 'BackupUnprotected') {
              comment:: 'A discovered resource with no backup at all: the coverage gap.',
              expr: 'backup_protected == 0',
              annotations+: {
                summary: '{{ $labels.resource_name }} has no backup',
                description: '{{ $labels.resource_name }} ({{ $labels.provider }} target {{ $labels.target }}, {{ $labels.resource_id }}) has no backup configured and no backup listed.',
              },
            },

            u.alert(cfg, 'BackupMirrorBroken') {
              comment:: 'Azure NetApp Files replication broken.',
              expr: 'backup_mirror_state{state="Broken"} == 1',
              annotations+: {
                summary: 'Mirror of {{ $labels.resource_name }} is broken',
                description: 'The Azure NetApp Files replication of volume {{ $labels.resource_name }} (target {{ $labels.target }}) is in mirror state Broken: the destination no longer receives updates.',
              },
            },

            u.alert(cfg, 'BackupRetentionShort') {
              comment:: |||
                The recovery window is shorter than the target's expected_retention
                (x %(retentionFactor)s) minus one expected interval: restores cannot
                reach back as far as policy says. Only where every backup is
                listed (backup_oldest_success_timestamp_seconds) and a retention is
                set (backup_expected_retention_seconds).
              ||| % cfg,
              expr: |||
                (
                  (time() - backup_oldest_success_timestamp_seconds)
                    < (%(retentionFactor)s * backup_expected_retention_seconds - backup_expected_interval_seconds)
                )
                and on (provider, target)
                  (backup_exporter_target_up == 1)
              ||| % cfg,
              annotations+: {
                summary: 'Backups of {{ $labels.resource_name }} do not reach back far enough',
                description: 'The oldest successful backup of {{ $labels.resource_name }} ({{ $labels.provider }} target {{ $labels.target }}) is {{ $value | humanizeDuration }} old, shorter than its expected retention: restores cannot reach back as far as policy says.',
              },
            },
          ]
        ] + [
          u.alert(cfg, 'BackupExporterTargetDown') {
            comment:: |||
              The exporter cannot read a target: every backup alert of that
              target is silent meanwhile, so this one is critical.
            |||,
            expr: 'backup_exporter_target_up == 0',
            annotations+: {
              summary: 'backup_exporter cannot read target {{ $labels.target }}',
              description: 'backup_exporter has failed to collect {{ $labels.provider }} target {{ $labels.target }} for %s; its backup alerts cannot fire until it recovers.' % u.humanDuration(cfg.alertFor.BackupExporterTargetDown),
            },
          },

          u.alert(cfg, 'BackupExporterDown') {
            comment:: |||
              The exporter itself cannot be scraped, or no scrape job of it exists.
              Job selector: %s (see the header).
            ||| % cfg.exporterSelector,
            expr: |||
              up{%(exporterSelector)s} == 0
              or
              absent(up{%(exporterSelector)s})
            ||| % cfg,
            annotations+: {
              summary: 'backup_exporter is down',
              description: '{{ if $labels.instance }}Prometheus cannot scrape backup_exporter at {{ $labels.instance }} (job {{ $labels.job }}){{ else }}No backup_exporter scrape job (%s) exists{{ end }}: no backup alert can fire.' % cfg.exporterSelector,
            },
          },

          u.alert(cfg, 'BackupExporterThrottled') {
            comment:: |||
              Upstream APIs throttle the exporter: throttled retries all along the
              last %s, or ARM's remaining read quota of a subscription low.
            ||| % u.humanDuration(cfg.alertFor.BackupExporterThrottled),
            expr: |||
              sum by (provider) (rate(backup_exporter_api_retries_total{reason="throttled"}[%(throttledRetryWindow)s])) > 0
              or
              backup_exporter_azure_ratelimit_remaining_reads < %(azureReadsLeftThreshold)s
            ||| % cfg,
            annotations+: {
              summary: 'backup_exporter is throttled{{ if $labels.provider }} by {{ $labels.provider }}{{ else }} by Azure Resource Manager{{ end }}',
              description: '{{ if $labels.subscription_id }}Azure Resource Manager reports only {{ $value }} read requests left for subscription {{ $labels.subscription_id }}{{ else }}backup_exporter retries throttled {{ $labels.provider }} requests ({{ $value | humanize }}/s){{ end }}: polls get slow and may run out of poll_timeout. Raise cache_ttl (each target is polled once per cache_ttl, however often it is scraped).',
            },
          },

          u.alert(cfg, 'BackupExporterShardMismatch') {
            comment:: |||
              Replicas sharing an estate (--shard/--total-shards) disagree on how
              many shards there are, or two claim the same shard: some resources
              are then served twice and others not at all.
            |||,
            expr: |||
              count by (job) (count by (job, total) (backup_exporter_shard_info)) > 1
              or
              count by (job, shard) (backup_exporter_shard_info) > 1
            |||,
            annotations+: {
              summary: 'backup_exporter shards of job {{ $labels.job }} do not add up',
              description: '{{ if $labels.shard }}Several replicas of job {{ $labels.job }} serve shard {{ $labels.shard }}{{ else }}The replicas of job {{ $labels.job }} were started with different --total-shards{{ end }}: some resources are served twice and others not at all.',
            },
          },
        ],
      },
    ],
  },
}
