// The backup_exporter monitoring mixin: _config (config.libsonnet),
// prometheusRules (rules/), prometheusAlerts (alerts/) and
// grafanaDashboards (dashboards/). See README.md ("Monitoring mixin").
(import 'config.libsonnet') +
(import 'rules/rules.libsonnet') +
(import 'alerts/alerts.libsonnet') +
(import 'dashboards/dashboards.libsonnet')
