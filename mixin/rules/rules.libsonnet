// Recording rules: the group backup_exporter.rules of rules.yml. A
// comment:: (hidden: Prometheus and mixtool never see it) becomes the YAML
// comment above the rule in the generated deploy/prometheus/rules.yml.
{
  local cfg = $._config,

  // 1 when the resource is stale (also in backup:resources:count).
  local staleBool =
    '(time() - backup_last_success_timestamp_seconds) > bool (%s * backup_expected_interval_seconds)' % cfg.staleFactor,

  // One label_replace(...) per status of backup:resources:count.
  local statusCount(status, perResource) =
    'label_replace(sum by (provider, target) (max by (provider, target, resource_id) (%s)), "status", "%s", "", "")' % [perResource, status],

  prometheusRules+:: {
    groups+: [
      {
        name: 'backup_exporter.rules',
        rules: [
          {
            comment:: |||
              Seconds since the newest successful backup ended, per resource. For
              a resource whose backups were all listed and none succeeded, the
              exporter exposes a last success of 0, so this is time() itself:
              dashboards show it as "never" (anything above ~30 years).
            |||,
            record: 'backup:last_success_age_seconds',
            expr: 'time() - backup_last_success_timestamp_seconds',
          },
          {
            comment:: |||
              The same age as a multiple of the expected interval: above %s the
              resource is stale (BackupStale).
            ||| % cfg.staleFactor,
            record: 'backup:last_success_age:ratio',
            expr: '(time() - backup_last_success_timestamp_seconds) / backup_expected_interval_seconds',
          },
          {
            comment:: |||
              1 when the resource is stale (last success older than %s x the
              expected interval, never-backed-up resources included), else 0.
            ||| % cfg.staleFactor,
            record: 'backup:stale:bool',
            expr: staleBool,
          },
          {
            comment:: |||
              Resources per target by status: protected, unprotected, unhealthy,
              failed (latest backup failed), stale, running. Sums of 0/1 gauges,
              so a status with no resource is a 0, not a missing series (as long
              as the target has any resource). The inner max by resource drops
              duplicates when the same target is scraped by several jobs or
              exporter replicas (job/instance differ, the resource does not).
            |||,
            record: 'backup:resources:count',
            expr: std.join('\nor\n', [
              statusCount('protected', 'backup_protected'),
              statusCount('unprotected', '1 - backup_protected'),
              statusCount('unhealthy', '1 - backup_healthy'),
              statusCount('failed', 'backup_state{state="failed"}'),
              statusCount('stale', staleBool),
              statusCount('running', 'backup_state{state="running"}'),
            ]) + '\n',
          },
          {
            comment:: 'Upstream API traffic of the exporter (the backup_exporter dashboard).',
            record: 'backup_exporter:api_requests:rate5m',
            expr: 'sum by (provider, code) (rate(backup_exporter_api_requests_total[5m]))',
          },
          {
            record: 'backup_exporter:api_retries:rate5m',
            expr: 'sum by (provider, reason) (rate(backup_exporter_api_retries_total[5m]))',
          },
          {
            record: 'backup_exporter:api_request_duration_seconds:p95_5m',
            expr: 'histogram_quantile(0.95, sum by (provider, le) (rate(backup_exporter_api_request_duration_seconds_bucket[5m])))',
          },
          {
            record: 'backup_exporter:cache_hit:ratio_5m',
            expr: |||
              sum by (target) (rate(backup_exporter_cache_hits_total[5m]))
              /
              (sum by (target) (rate(backup_exporter_cache_hits_total[5m])) + sum by (target) (rate(backup_exporter_cache_misses_total[5m])))
            |||,
          },
        ],
      },
    ],
  },
}
