// Package e2e holds the end-to-end test: the simulator, the exporter
// binary, a real Prometheus loading the shipped rules and a real
// Alertmanager, checked through their HTTP APIs.
package e2e
