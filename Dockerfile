# syntax=docker/dockerfile:1
# Build a static binary, ship it on distroless as non-root.
#
#   make image        # stamps VERSION, REVISION, BRANCH and CREATED from git
#
# The build context has no .git (.dockerignore), so the commit cannot be
# read here: it comes in as the REVISION build argument.
FROM golang:1.26 AS build
WORKDIR /src
COPY . .
ARG VERSION
ARG REVISION=unknown
ARG BRANCH=unknown
ARG CREATED
# Only the modules the binary imports are fetched (go.mod also lists test
# and tool dependencies, such as helm, that the image does not need).
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION:-$(cat VERSION)} -X github.com/prometheus/common/version.Revision=${REVISION} -X github.com/prometheus/common/version.Branch=${BRANCH} -X github.com/prometheus/common/version.BuildDate=${CREATED}" \
      -o /out/backup_exporter ./cmd/backup_exporter

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION
ARG REVISION=unknown
ARG CREATED
LABEL org.opencontainers.image.title="backup_exporter" \
      org.opencontainers.image.description="Prometheus exporter of backup health, progress and freshness across clouds" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="https://github.com/backup-exporter/backup_exporter" \
      org.opencontainers.image.url="https://github.com/backup-exporter/backup_exporter" \
      org.opencontainers.image.documentation="https://github.com/backup-exporter/backup_exporter#readme" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/backup_exporter /bin/backup_exporter
USER nonroot:nonroot
EXPOSE 9871
# Distroless has no shell and no curl: the binary checks itself
# (`backup_exporter healthcheck` GETs http://127.0.0.1:9871/-/healthy).
# With another --web.listen-address, or TLS or basic auth from
# --web.config.file, override it, e.g. in compose:
#   healthcheck: {test: [CMD, /bin/backup_exporter, healthcheck, --url, "https://127.0.0.1:9871/-/healthy", --insecure-skip-verify]}
# Kubernetes ignores HEALTHCHECK and uses the chart's probes.
HEALTHCHECK --interval=30s --timeout=10s --start-period=10s --retries=3 \
  CMD ["/bin/backup_exporter", "healthcheck"]
ENTRYPOINT ["/bin/backup_exporter"]
CMD ["--config.file=/etc/backup_exporter/backup_exporter.yml"]
