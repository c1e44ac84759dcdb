#!/bin/sh
# Regenerates base/prometheusrule.yaml and the Helm chart's files/rules.yml
# from deploy/prometheus/rules.yml. Run from anywhere in the repository.
set -eu
cd "$(dirname "$0")/.."
exec go run ./internal/genrules -dir .
