# syntax=docker/dockerfile:1
# Build a static binary, ship it on distroless as non-root.
FROM golang:1.26 AS build
WORKDIR /src
COPY . .
ARG VERSION
ARG REVISION=unknown
# Only the modules the binary imports are fetched (go.mod also lists test
# and tool dependencies, such as helm, that the image does not need).
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION:-$(cat VERSION)} -X github.com/prometheus/common/version.Revision=${REVISION}" \
      -o /out/backup_exporter ./cmd/backup_exporter

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/backup_exporter /bin/backup_exporter
USER nonroot:nonroot
EXPOSE 9871
ENTRYPOINT ["/bin/backup_exporter"]
CMD ["--config.file=/etc/backup_exporter/backup_exporter.yml"]
