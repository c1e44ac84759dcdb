#!/usr/bin/env bash
# make demo: start the simulator and the exporter with examples/demo.yml,
# print the URL to scrape, stop both on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${BIN:-bin}
state=.demo
mkdir -p "$state"
rm -f "$state/ca.pem"

"$bin/backup_simulator" --listen 127.0.0.1:9443 --scenario examples/simulator/demo.yml \
	--ca-file "$state/ca.pem" 2>"$state/simulator.log" &
sim=$!
trap 'kill $sim ${exp:-} 2>/dev/null; wait 2>/dev/null' EXIT INT TERM

for _ in $(seq 50); do [ -s "$state/ca.pem" ] && break; sleep 0.1; done
if [ ! -s "$state/ca.pem" ]; then
	echo "the simulator did not start:" >&2
	cat "$state/simulator.log" >&2
	exit 1
fi

"$bin/backup_exporter" --config.file examples/demo.yml --web.listen-address :9871 &
exp=$!

for _ in $(seq 50); do curl -fsS -o /dev/null localhost:9871/-/ready 2>/dev/null && break; sleep 0.1; done
cat <<MSG

backup_exporter is serving the simulator's backups:

  scrape:   curl -s http://localhost:9871/metrics | grep ^backup_
  one:      curl -s 'http://localhost:9871/probe?target=astra-demo'
  table:    $bin/backup_exporter --config.file examples/demo.yml --once
  simulator log: $state/simulator.log

Ctrl-C stops both.
MSG
wait $exp
