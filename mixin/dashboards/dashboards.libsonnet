// grafanaDashboards: file name => dashboard. mixin/gen writes each to
// dashboards/<file name>.
(import 'backup-exporter.libsonnet') +
(import 'backups-overview.libsonnet')
