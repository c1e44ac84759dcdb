// The backup_exporter dashboard: health of the exporter itself.
local g = import 'lib.libsonnet';
local u = import '../lib/utils.libsonnet';

{
  local cfg = $._config,
  local stat(id, title, description, gridPos, unit) =
    g.panel(id, 'stat', title, description, gridPos, unit) + {
      options: { reduceOptions: g.reduceLast, graphMode: 'none' },
    },
  local upDown = g.valueMapping({ '0': ['down', 'red'], '1': ['up', 'green'] }),

  grafanaDashboards+:: {
    'backup-exporter.json': g.dashboard(
      uid='backup-exporter-self',
      title='backup_exporter',
      description='Health of backup_exporter itself: targets, upstream API traffic, cache and configuration.',
      tags=['backup_exporter'],
      variables=[
        g.variables.datasource,
        g.variables.provider,
        g.variables.target,
        g.variables.resource_name { hide: 2 },
      ],
      panels=[
        g.row(1, 'Targets', 0),
        stat(2, 'Targets up', 'Targets whose last collection succeeded, out of all targets.', g.gridPos(0, 1, 6, 4), 'none') {
          options+: { textMode: 'value_and_name', colorMode: 'value' },
          targets: [
            g.instantTarget('A', 'sum(backup_exporter_target_up{%s})' % g.sel.target, 'up'),
            g.instantTarget('B', 'count(backup_exporter_target_up{%s})' % g.sel.target, 'total'),
          ],
        },
        stat(3, 'Exporter up', "Prometheus's scrape of backup_exporter (%s)." % u.describeSelector(cfg.exporterSelector), g.gridPos(6, 1, 6, 4), 'none') {
          fieldConfig+: { defaults+: { mappings: [upDown] } },
          options+: { colorMode: 'background' },
          targets: [g.instantTarget('A', 'up{%s}' % cfg.exporterSelector, '{{job}} {{instance}}')],
        },
        stat(4, 'Config reload', 'backup_exporter_config_last_reload_successful: 1 when the last (re)load succeeded.', g.gridPos(12, 1, 6, 4), 'none') {
          fieldConfig+: { defaults+: { mappings: [g.valueMapping({ '0': ['failed', 'red'], '1': ['ok', 'green'] })] } },
          options+: { colorMode: 'background' },
          targets: [g.instantTarget('A', 'backup_exporter_config_last_reload_successful', '{{instance}}')],
        },
        stat(5, 'Since last successful reload', 'Time since the configuration was last loaded successfully.', g.gridPos(18, 1, 6, 4), 's') {
          options+: { colorMode: 'none' },
          targets: [g.instantTarget('A', 'time() - backup_exporter_config_last_reload_success_timestamp_seconds', '{{instance}}')],
        },
        g.panel(6, 'state-timeline', 'Target up', 'backup_exporter_target_up per target (BackupExporterTargetDown after %s down).' % u.humanDuration(cfg.alertFor.BackupExporterTargetDown), g.gridPos(0, 5, 12, 8), 'none') {
          fieldConfig+: { defaults+: { mappings: [upDown] } },
          options: { showValue: 'never', mergeValues: true, rowHeight: 0.9 },
          targets: [g.rangeTarget('A', 'backup_exporter_target_up{%s}' % g.sel.target, '{{target}}')],
        },
        g.panel(7, 'timeseries', 'Poll and collection duration', 'How long the last complete poll of each target took (background or synchronous), and how long the last scrape waited for it (near 0 when answered from the last poll).', g.gridPos(12, 5, 12, 8), 's') {
          targets: [
            g.rangeTarget('A', 'backup_exporter_target_poll_duration_seconds{%s}' % g.sel.target, '{{target}} poll'),
            g.rangeTarget('B', 'backup_exporter_target_duration_seconds{%s}' % g.sel.target, '{{target}} scrape'),
          ],
        },
        g.panel(8, 'timeseries', 'Since last successful collection', 'Age of the last successful read of each target: tells a stale backup from an exporter that cannot see.', g.gridPos(0, 13, 12, 8), 's') {
          targets: [g.rangeTarget('A', 'time() - backup_exporter_target_last_success_timestamp_seconds{%s}' % g.sel.target, '{{target}}')],
        },
        g.panel(9, 'timeseries', 'Resources per target', 'Resources found per target, unprotected ones included.', g.gridPos(12, 13, 12, 8), 'none') {
          targets: [g.rangeTarget('A', 'backup_exporter_target_resources{%s}' % g.sel.target, '{{target}}')],
        },

        g.row(10, 'Upstream APIs', 21),
        g.panel(11, 'timeseries', 'Upstream requests by code', 'Upstream HTTP requests per second by provider and status code (error = no response).', g.gridPos(0, 22, 12, 8), 'reqps') {
          fieldConfig+: { defaults+: { custom: { stacking: { mode: 'normal', group: 'A' }, fillOpacity: 30 } } },
          targets: [g.rangeTarget('A', 'sum by (provider, code) (rate(backup_exporter_api_requests_total{%s}[$__rate_interval]))' % g.sel.provider, '{{provider}} {{code}}')],
        },
        g.panel(12, 'timeseries', 'Upstream latency p95', '95th percentile of upstream request latency.', g.gridPos(12, 22, 12, 8), 's') {
          targets: [g.rangeTarget('A', 'histogram_quantile(0.95, sum by (provider, le) (rate(backup_exporter_api_request_duration_seconds_bucket{%s}[$__rate_interval])))' % g.sel.provider, '{{provider}}')],
        },
        g.panel(13, 'timeseries', 'Retries', 'Retried upstream requests per second by reason (throttled, server_error, network). Sustained throttling raises BackupExporterThrottled.', g.gridPos(0, 30, 12, 8), 'reqps') {
          targets: [g.rangeTarget('A', 'sum by (provider, reason) (rate(backup_exporter_api_retries_total{%s}[$__rate_interval]))' % g.sel.provider, '{{provider}} {{reason}}')],
        },
        g.panel(14, 'timeseries', 'Cache hit ratio', 'Share of collections answered from the cache, per target.', g.gridPos(12, 30, 12, 8), 'percentunit') {
          local rate(metric) = 'sum by (target) (rate(%s{target=~"$target"}[$__rate_interval]))' % metric,
          fieldConfig+: { defaults+: { min: 0, max: 1 } },
          targets: [g.rangeTarget('A', '%s / (%s + %s)' % [rate('backup_exporter_cache_hits_total'), rate('backup_exporter_cache_hits_total'), rate('backup_exporter_cache_misses_total')], '{{target}}')],
        },
        g.panel(15, 'timeseries', 'ARM read quota left', 'x-ms-ratelimit-remaining-subscription-reads as last seen per subscription (below %s: BackupExporterThrottled).' % cfg.azureReadsLeftThreshold, g.gridPos(0, 38, 12, 8), 'none') {
          fieldConfig+: { defaults+: {
            thresholds: g.thresholds([['red', null], ['green', cfg.azureReadsLeftThreshold]]),
            custom: { thresholdsStyle: { mode: 'line' } },
          } },
          targets: [g.rangeTarget('A', 'backup_exporter_azure_ratelimit_remaining_reads', '{{subscription_id}}')],
        },
        g.panel(16, 'timeseries', 'Upstream error ratio', 'Share of upstream requests not answered 2xx (5-minute recording rule).', g.gridPos(12, 38, 12, 8), 'percentunit') {
          fieldConfig+: { defaults+: { min: 0 } },
          targets: [g.rangeTarget('A', 'sum by (provider) (backup_exporter:api_requests:rate5m{%s,code!~"2.."}) / sum by (provider) (backup_exporter:api_requests:rate5m{%s})' % [g.sel.provider, g.sel.provider], '{{provider}}')],
        },
        g.panel(17, 'table', 'Build', 'backup_exporter_build_info per instance.', g.gridPos(0, 46, 24, 4), 'none') {
          options: { showHeader: true },
          targets: [g.tableTarget('A', 'backup_exporter_build_info')],
          transformations: [
            { id: 'organize', options: { excludeByName: { Time: true, Value: true, __name__: true } } },
          ],
        },
      ],
    ),
  },
}
