// The header comment of the generated deploy/prometheus/rules.yml (the
// recording rules and the alerts in one file): mixin/gen writes it, and
// mixin.libsonnet's output does not include it.
function(config) |||
  Prometheus recording and alerting rules for backup_exporter.

  Generated from mixin/ by go generate; edit the mixin, not this file, and
  regenerate with `go generate ./mixin/...` (mixin/mixin_test.go fails when
  this file is out of date).

  Check and test them with:
    promtool check rules deploy/prometheus/rules.yml
    promtool test rules deploy/prometheus/rules_test.yml

  Conventions
  - Identity of a resource: provider, target, resource_id (resource_name is
    its human name, carried along for the annotations).
  - The exporter drops every backup_* series of a target whose collection
    fails (backup_exporter_target_up 0), so no per-resource alert can be
    raised from stale data; the freshness alerts (BackupStale, BackupStuck)
    also join on backup_exporter_target_up == 1 explicitly, so that they
    stay silent whenever the exporter cannot see the target, whatever the
    deployment (several exporter replicas, cached answers). A target that
    cannot be read is BackupExporterTargetDown's job, and an exporter that
    cannot be scraped is BackupExporterDown's.
  - Job selector: the exporter's scrape jobs are expected to be called
    backup_exporter (the /metrics style) and backup_exporter_probe (the
    /probe style), as in prometheus.yml beside this file. BackupExporterDown
    selects them with %s: rename your jobs to match,
    or change exporterSelector in the mixin's _config.
||| % config.exporterSelector
