// The Backups overview dashboard: coverage, health and freshness of the
// resources.
local g = import 'lib.libsonnet';

{
  local cfg = $._config,
  local legend = '{{resource_name}} ({{target}})',

  // A count of backup:resources:count{status=...} in the top row.
  local statusStat(id, title, description, x, status, color) =
    g.panel(id, 'stat', title, description, g.gridPos(x, 1, 4, 4), 'none') {
      fieldConfig+: { defaults+: (
        if color == 'blue' then { color: { mode: 'fixed', fixedColor: 'blue' } }
        else { thresholds: g.thresholds([['green', null], [color, 1]]), color: { mode: 'thresholds' } }
      ) },
      options: { reduceOptions: g.reduceLast, colorMode: 'background', graphMode: 'none', textMode: 'value' },
      targets: [g.instantTarget('A', 'sum(backup:resources:count{%s,status="%s"}) or vector(0)' % [g.sel.target, status], '__auto')],
    },

  // Who owns a resource (_config.ownerLabels): a column and a variable per
  // owner label. A resource whose owner label does not match the
  // variable is left out of the Resources table; a resource without
  // backup_resource_info (its target sets no resource_labels) stays.
  local owners = cfg.ownerLabels,
  local ownerFilter = std.join('', [
    ' unless on (provider, target, resource_id) backup_resource_info{%s!~"$%s"}' % [l, l]
    for l in owners
  ]),

  // The Resources table: one query per refId, each an instant table query
  // max by (provider, target, resource_id, resource_name[, labels]) (expr),
  // merged into one row per resource. A query with hideValue only brings
  // its labels (state, code and message) and its value column "Value #<refId>"
  // is excluded.
  local resourceQueries = [
    { refId: 'A', expr: 'backup_protected{%s}' % g.sel.resource },
    { refId: 'B', labels: ['state'], expr: 'backup_state{%s} == 1' % g.sel.resource, hideValue: true },
    { refId: 'C', expr: 'backup_healthy{%s}' % g.sel.resource },
    { refId: 'D', expr: 'backup:last_success_age_seconds{%s}' % g.sel.resource },
    { refId: 'E', expr: 'backup_progress_ratio{%s}' % g.sel.resource },
    { refId: 'F', labels: ['code', 'message'], expr: 'backup_error_info{%s}' % g.sel.resource, hideValue: true },
    { refId: 'G', expr: 'backup_oldest_success_timestamp_seconds{%s} * 1000' % g.sel.resource },
  ] + (
    if owners == [] then []
    else [{ refId: 'H', labels: owners, expr: 'backup_resource_info{%s}' % g.sel.resource, hideValue: true }]
  ),
  // The columns in display order: field (a label or "Value #<refId>"),
  // title, and the field override properties of the column, if any.
  local resourceColumns = [
    { field: 'provider', title: 'Provider' },
    { field: 'target', title: 'Target' },
    { field: 'resource_name', title: 'Resource' },
  ] + [
    { field: l, title: 'Owner (%s)' % l }
    for l in owners
  ] + [
    {
      field: 'Value #A',
      title: 'Protected',
      properties: [
        { id: 'unit', value: 'bool_yes_no' },
        { id: 'custom.cellOptions', value: { type: 'color-text' } },
        { id: 'mappings', value: [g.valueMapping({ '0': ['no', 'orange'], '1': ['yes', 'green'] })] },
      ],
    },
    { field: 'state', title: 'State' },
    {
      field: 'Value #C',
      title: 'Healthy',
      properties: [
        { id: 'custom.cellOptions', value: { type: 'color-background' } },
        { id: 'mappings', value: [g.valueMapping({ '0': ['unhealthy', 'red'], '1': ['healthy', 'green'] })] },
      ],
    },
    {
      field: 'Value #D',
      title: 'Last success age',
      properties: [
        { id: 'unit', value: 's' },
        // 30 years: a last success of 0 (never).
        { id: 'mappings', value: [{ type: 'range', options: { from: 946080000, to: null, result: { text: 'never', color: 'red' } } }] },
      ],
    },
    {
      field: 'Value #E',
      title: 'Progress',
      properties: [
        { id: 'unit', value: 'percentunit' },
        { id: 'min', value: 0 },
        { id: 'max', value: 1 },
        { id: 'custom.cellOptions', value: { type: 'gauge', mode: 'basic' } },
      ],
    },
    {
      field: 'Value #G',
      title: 'Restorable back to',
      properties: [{ id: 'unit', value: 'dateTimeAsIso' }],
    },
    { field: 'code', title: 'Error code' },
    { field: 'message', title: 'Error' },
    { field: 'resource_id', title: 'Resource ID', exclude: false },
  ],

  local progressOfRunning = 'backup_progress_ratio{%s} and on (provider, target, resource_id) (backup_state{state="running"} == 1)' % g.sel.resource,

  grafanaDashboards+:: {
    'backups-overview.json': g.dashboard(
      uid='backup-exporter-overview',
      title='Backups overview',
      description='Backup coverage, health and freshness of the resources seen by backup_exporter.',
      tags=['backup', 'backup_exporter'],
      variables=[g.variables.datasource, g.variables.provider, g.variables.target, g.variables.resource_name] + [
        g.queryVariable(l, 'Owner (%s)' % l, 'backup_resource_info{%s}' % g.sel.target, l)
        for l in owners
      ],
      panels=[
        g.row(1, 'Coverage and health', 0),
        statusStat(2, 'Protected', 'Resources with backup configured or any backup listed.', 0, 'protected', 'blue'),
        statusStat(3, 'Unprotected', 'Discovered resources with no backup at all (BackupUnprotected).', 4, 'unprotected', 'orange'),
        statusStat(4, 'Unhealthy', 'backup_healthy 0 (BackupUnhealthy / BackupFailed).', 8, 'unhealthy', 'red'),
        statusStat(5, 'Failed', 'Resources whose latest backup failed (BackupFailed).', 12, 'failed', 'red'),
        statusStat(6, 'Stale', 'Last success older than %s x backup_expected_interval_seconds, never-backed-up resources included (BackupStale).' % cfg.staleFactor, 16, 'stale', 'red'),
        statusStat(7, 'Running', 'Resources with a backup running now.', 20, 'running', 'blue'),

        g.panel(8, 'table', 'Resources', "One row per resource: protection, state of the latest backup, health, age of the last success (over 30 years = never), progress, how far back it can be restored (the oldest successful backup still listed), and the latest backup's error.", g.gridPos(0, 5, 24, 12), 'none') {
          fieldConfig: {
            defaults: {
              unit: 'none',
              custom: { align: 'auto', cellOptions: { type: 'auto' }, filterable: true },
            },
            overrides: [
              { matcher: { id: 'byName', options: c.title }, properties: c.properties }
              for c in resourceColumns
              if std.objectHas(c, 'properties')
            ],
          },
          options: {
            showHeader: true,
            cellHeight: 'sm',
            footer: { show: false, reducer: ['sum'], fields: '' },
            sortBy: [{ displayName: 'Healthy', desc: false }],
          },
          targets: [
            g.tableTarget(q.refId, 'max by (%s) (%s%s)' % [std.join(', ', ['provider', 'target', 'resource_id', 'resource_name'] + std.get(q, 'labels', [])), q.expr, ownerFilter])
            for q in resourceQueries
          ],
          transformations: [
            { id: 'merge', options: {} },
            {
              id: 'organize',
              options: {
                excludeByName: { Time: true }
                               + { ['Value #' + q.refId]: true for q in resourceQueries if std.get(q, 'hideValue', false) }
                               + { [c.field]: c.exclude for c in resourceColumns if std.objectHas(c, 'exclude') },
                renameByName: { [c.field]: c.title for c in resourceColumns },
                indexByName: { [resourceColumns[i].field]: i for i in std.range(0, std.length(resourceColumns) - 1) },
              },
            },
          ],
        },

        g.row(9, 'Data', 17),
        g.panel(10, 'timeseries', 'Transferred bytes (latest/ongoing operation)', 'backup_transferred_bytes: bytes moved by the latest or ongoing backup operation.', g.gridPos(0, 18, 12, 8), 'bytes') {
          targets: [g.rangeTarget('A', 'backup_transferred_bytes{%s}' % g.sel.resource, legend)],
        },
        g.panel(11, 'timeseries', 'Transfer rate (ANF)', 'Rate of backup_transfer_bytes_total (Azure NetApp Files totalTransferBytes).', g.gridPos(12, 18, 12, 8), 'Bps') {
          targets: [g.rangeTarget('A', 'rate(backup_transfer_bytes_total{%s}[$__rate_interval])' % g.sel.resource, legend)],
        },
        g.panel(12, 'timeseries', 'Backup sizes', 'backup_size_bytes: size of the latest backup or of its data source.', g.gridPos(0, 26, 12, 8), 'bytes') {
          targets: [g.rangeTarget('A', 'backup_size_bytes{%s}' % g.sel.resource, legend)],
        },
        g.panel(13, 'timeseries', 'Last transfer size (ANF)', 'backup_last_transfer_size_bytes (Azure NetApp Files lastTransferSize).', g.gridPos(12, 26, 12, 8), 'bytes') {
          targets: [g.rangeTarget('A', 'backup_last_transfer_size_bytes{%s}' % g.sel.resource, legend)],
        },

        g.row(14, 'Running backups', 34),
        g.panel(15, 'bargauge', "Running backups' progress", 'Progress of the backups running now.', g.gridPos(0, 35, 12, 8), 'percentunit') {
          fieldConfig+: { defaults+: { min: 0, max: 1 } },
          options: {
            displayMode: 'gradient',
            orientation: 'horizontal',
            reduceOptions: g.reduceLast,
            showUnfilled: true,
            valueMode: 'color',
          },
          targets: [g.instantTarget('A', progressOfRunning, legend)],
        },
        g.panel(16, 'timeseries', 'Progress over time', 'Progress of running backups over time: a flat line for hours is BackupStuck.', g.gridPos(12, 35, 12, 8), 'percentunit') {
          fieldConfig+: { defaults+: { min: 0, max: 1 } },
          targets: [g.rangeTarget('A', progressOfRunning, legend)],
        },
        g.panel(17, 'timeseries', 'Resources by status', 'backup:resources:count over time.', g.gridPos(0, 43, 12, 8), 'none') {
          targets: [g.rangeTarget('A', 'sum by (status) (backup:resources:count{%s})' % g.sel.target, '{{status}}')],
        },
        g.panel(18, 'timeseries', 'Last success age / expected interval', 'Age of the last success in multiples of the expected interval; over %s is stale. Never-backed-up resources (ratio huge) are left out: see the Stale count.' % cfg.staleFactor, g.gridPos(12, 43, 12, 8), 'none') {
          fieldConfig+: { defaults+: {
            thresholds: g.thresholds([['green', null], ['red', cfg.staleFactor]]),
            custom: { thresholdsStyle: { mode: 'line' } },
          } },
          targets: [g.rangeTarget('A', 'backup:last_success_age:ratio{%s} < 100' % g.sel.resource, legend)],
        },

        g.row(19, 'Kubernetes', 51),
        g.panel(20, 'table', 'Kubernetes namespaces without backup', "The cluster's namespaces that no Velero Schedule or Backup covers (velero targets, backup_protected 0: BackupUnprotected), the coverage gap Velero's own metrics cannot show. Velero's own namespace, the target's exclude_namespaces and namespaces labelled velero.io/exclude-from-backup=true are never listed.", g.gridPos(0, 52, 24, 8), 'none') {
          options: { showHeader: true, cellHeight: 'sm', sortBy: [{ displayName: 'Namespace', desc: false }] },
          targets: [g.tableTarget('A', 'max by (target, resource_name) (backup_protected{provider="velero",target=~"$target"} == 0)')],
          transformations: [{
            id: 'organize',
            options: {
              excludeByName: { Time: true, Value: true },
              renameByName: { target: 'Target', resource_name: 'Namespace' },
              indexByName: { resource_name: 0, target: 1 },
            },
          }],
        },
      ],
    ),
  },
}
