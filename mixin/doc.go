// Package mixin holds the backup_exporter monitoring mixin, in the
// convention of node-mixin and kube-state-metrics-mixin: mixin.libsonnet
// exposes _config (config.libsonnet), prometheusRules (rules/),
// prometheusAlerts (alerts/) and grafanaDashboards (dashboards/), and can be
// vendored with jsonnet-bundler:
//
//	jb install github.com/backup-exporter/backup_exporter/mixin@main
//
// The repository's shipped artefacts are generated from it by mixin/gen
// (go-jsonnet, no network): deploy/prometheus/rules.yml, dashboards/*.json
// and, through deploy/internal/genrules, the PrometheusRule of the kustomize
// base and the Helm chart's files/rules.yml. Regenerate them with
//
//	go generate ./mixin/...
//
// mixin_test.go fails when a generated file differs from the mixin's output,
// and lints the mixin (annotations, severities, runbook anchors, PromQL,
// dashboard uids, panel ids and datasources).
package mixin

//go:generate go run ./gen
