// Package docs holds the documentation, and generates its metric
// reference, metrics.md, from what the exporter registers: the metric
// families of collector.Catalog (names, types, labels, HELP), each
// provider's Title and state tables from the provider registry, and the
// rule text of metrics.md.tmpl. After changing a family, a provider or
// the template:
//
//	go generate ./docs
//
// TestMetricsReferenceUpToDate fails when metrics.md differs from a fresh
// generation.
package docs

//go:generate go run ./internal/genmetrics
