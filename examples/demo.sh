#!/usr/bin/env bash
# make demo: start the simulator and the exporter with examples/demo.yml,
# print the URL to scrape, stop both on Ctrl-C.
#
# Ports: SIM_PORT (default 9443) and EXPORTER_PORT (default 9871), e.g.
#   make demo SIM_PORT=19443 EXPORTER_PORT=19871
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${BIN:-bin}
sim_port=${SIM_PORT:-9443}
exporter_port=${EXPORTER_PORT:-9871}
# Where the CA, the configuration and the logs go (DEMO_STATE, for tests).
state=${DEMO_STATE:-.demo}
mkdir -p "$state"
rm -f "$state/ca.pem"

# taken reports whether something already listens on the loopback port.
taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "SIM_PORT=$sim_port" "EXPORTER_PORT=$exporter_port"; do
	port=${p#*=}
	if taken "$port"; then
		other=$((port < 55536 ? port + 10000 : port - 10000))
		echo "make demo: port $port is taken (another make demo?): stop what listens there, or choose another port, e.g. make demo ${p%%=*}=$other" >&2
		exit 1
	fi
done

# The demo configuration, with the simulator's port and its CA beside it.
sed -e "s#127.0.0.1:9443#127.0.0.1:$sim_port#g" -e "s#\.\./\.demo/ca\.pem#ca.pem#g" examples/demo.yml >"$state/demo.yml"

"$bin/backup_simulator" --listen "127.0.0.1:$sim_port" --scenario examples/simulator/demo.yml \
	--ca-file "$state/ca.pem" 2>"$state/simulator.log" &
sim=$!
trap 'kill $sim ${exp:-} 2>/dev/null; wait 2>/dev/null' EXIT INT TERM

# fail ends the demo, showing the log of what did not start.
fail() {
	echo "make demo: $1 did not start:" >&2
	cat "$2" >&2
	exit 1
}

for _ in $(seq 100); do
	[ -s "$state/ca.pem" ] && break
	kill -0 "$sim" 2>/dev/null || fail backup_simulator "$state/simulator.log"
	sleep 0.1
done
[ -s "$state/ca.pem" ] || fail backup_simulator "$state/simulator.log"

# Its log goes to the terminal, as before, and to a file for fail.
"$bin/backup_exporter" --config.file "$state/demo.yml" --web.listen-address ":$exporter_port" 2> >(tee "$state/exporter.log" >&2) &
exp=$!

ready=""
for _ in $(seq 100); do
	kill -0 "$exp" 2>/dev/null || fail backup_exporter "$state/exporter.log"
	if (exec 3<>"/dev/tcp/127.0.0.1/$exporter_port") 2>/dev/null &&
		curl -fsS -o /dev/null "http://127.0.0.1:$exporter_port/-/ready" 2>/dev/null; then
		ready=yes
		break
	fi
	sleep 0.1
done
[ -n "$ready" ] || fail backup_exporter "$state/exporter.log"

cat <<MSG

backup_exporter is serving the simulator's backups:

  scrape:   curl -s http://localhost:$exporter_port/metrics | grep ^backup_
  owners:   curl -s http://localhost:$exporter_port/metrics | grep ^backup_resource_info
  one:      curl -s 'http://localhost:$exporter_port/probe?target=astra-demo'
  page:     http://localhost:$exporter_port/
  table:    $bin/backup_exporter --config.file $state/demo.yml --once
  logs:     $state/simulator.log, $state/exporter.log

Ctrl-C stops both.
MSG
wait $exp
