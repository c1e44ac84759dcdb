// Package dashboards holds the Grafana dashboards of backup_exporter as JSON
// files. Its test checks that every PromQL expression of the dashboards and
// of deploy/prometheus/rules.yml parses and names only metrics the exporter
// exposes.
package dashboards
