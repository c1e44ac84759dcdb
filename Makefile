# backup_exporter: `make test` is what CI runs (.ci/run).
GO       ?= go
PKG      := github.com/backup-exporter/backup_exporter
VERSION  ?= $(shell cat VERSION 2>/dev/null || echo 0.0.0)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BRANCH   ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
# The commit's time, in UTC: the same sources give the same stamp.
CREATED  ?= $(shell TZ=UTC git log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS  := -s -w \
	-X github.com/prometheus/common/version.Version=$(VERSION) \
	-X github.com/prometheus/common/version.Revision=$(REVISION) \
	-X github.com/prometheus/common/version.Branch=$(BRANCH) \
	-X github.com/prometheus/common/version.BuildDate=$(CREATED)
BIN      := bin
IMAGE    ?= ghcr.io/backup-exporter/backup_exporter
DOCKER   ?= docker
# make demo's ports (the simulator's and the exporter's).
SIM_PORT ?= 9443
EXPORTER_PORT ?= 9871

.PHONY: all build image test fmt-check vet staticcheck unit e2e bench fuzz soak demo clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/backup_exporter ./cmd/backup_exporter
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/backup_simulator ./cmd/backup_simulator

# The container image $(IMAGE):$(VERSION), the image the Helm chart and the
# kustomize base run: version, revision, branch and build date stamped into
# the binary (the build context has no .git: they come in as build
# arguments), and the same as OCI labels of the image.
image:
	$(DOCKER) build \
		--build-arg VERSION=$(VERSION) \
		--build-arg REVISION=$(REVISION) \
		--build-arg BRANCH=$(BRANCH) \
		--build-arg CREATED=$(CREATED) \
		-t $(IMAGE):$(VERSION) .

# The test command of the README and of CI: formatting, vet, staticcheck and
# every test with the race detector.
test: fmt-check vet staticcheck unit

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) tool staticcheck ./...

# A test that needs a program besides Go (prometheus, promtool,
# alertmanager, amtool, helm) and does not find it is skipped, or fails
# when CI=true; each one is recorded (internal/tooltest) and the last line
# says which tools were missing and which tests they cost.
unit:
	@skipped=$$(mktemp); \
	BACKUP_EXPORTER_SKIPPED_FILE=$$skipped $(GO) test -race -count=1 ./...; status=$$?; \
	$(GO) run ./internal/tooltest/summary $$skipped; \
	rm -f $$skipped; exit $$status

# End-to-end: simulator, exporter, real Prometheus with the shipped rules
# and real Alertmanager (Debian packages). `unit` runs it too.
e2e:
	$(GO) test -count=1 -v -run TestE2E ./internal/e2e/

# Benchmarks: Go benchmarks of the hot paths against the simulator, then
# the load harness (real binaries, generated estates, injected latency),
# which writes docs/benchmarks.md. JSON_EXPORTER=/path/to/json_exporter adds
# the comparison with json_exporter (built from its source: see
# internal/loadharness/jsonexporter.go).
bench: build
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./...
	$(GO) run ./internal/loadharness --bin $(BIN) --out docs/benchmarks.md $(if $(JSON_EXPORTER),--json-exporter $(JSON_EXPORTER) --full)

# Fuzzing: each fuzz target for FUZZTIME (make test runs their seeds).
FUZZTIME ?= 30s
FUZZ_TARGETS := ./config:FuzzParse ./collector:FuzzRenderedExposition ./collector:FuzzHostileExposition \
	./collector/providers/astra:FuzzAstraBackupList ./collector/providers/huaweicbr:FuzzHuaweiBackupList \
	./collector/providers/azurenetappfiles:FuzzANFStatus ./collector/providers/azurepostgresqlltr:FuzzPGOperations \
	./collector/providers/azurebackup:FuzzAzureBackupItems ./collector/providers/tridentprotect:FuzzTridentProtectLists \
	./collector/providers/azuredataprotection:FuzzAzureDataProtectionItems \
	./collector/providers/velero:FuzzVeleroLists \
	./collector/toolkit/schedule:FuzzInterval ./collector/toolkit/schedule:FuzzRepeatingInterval \
	./collector/providers/cloudnativepg:FuzzCloudNativePGLists \
	./collector/providers/longhorn:FuzzLonghornLists
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

# Soak: 20 scrapers for 60 s, random upstream faults, a reload every 6 s
# (make test runs it for 6 s).
soak:
	SOAK_DURATION=60s $(GO) test -race -count=1 -v -run '^TestSoak$$' ./internal/server/

# Starts the simulator and the exporter with examples/demo.yml, on
# SIM_PORT and EXPORTER_PORT; fails at once when one is taken.
demo: build
	SIM_PORT=$(SIM_PORT) EXPORTER_PORT=$(EXPORTER_PORT) BIN=$(BIN) ./examples/demo.sh

clean:
	rm -rf $(BIN) .demo
