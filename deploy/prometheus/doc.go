// Package prometheus holds backup_exporter's Prometheus rules (rules.yml),
// their promtool unit tests (rules_test.yml), an example scrape
// configuration (prometheus.yml) and the alerts' runbook (runbook.md). Its
// test runs `promtool check rules` and `promtool test rules` on them.
package prometheus
