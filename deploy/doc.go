// Package deploy holds the deployment artefacts of backup_exporter
// (Kubernetes kustomize base and overlays, the Helm chart, the systemd unit,
// the Docker Compose demo stack, Prometheus rules and configuration) and the
// tests that keep them consistent with each other and with the exporter:
// see deploy_test.go and README.md.
//
// The PrometheusRule of the kustomize base and the rules copy of the Helm
// chart are generated from prometheus/rules.yml:
//
//	go generate ./deploy
package deploy

//go:generate go run ./internal/genrules -dir .
