# Build a static binary, ship it on distroless as non-root.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=0.0.0
ARG REVISION=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION} -X github.com/prometheus/common/version.Revision=${REVISION}" \
      -o /out/backup_exporter ./cmd/backup_exporter

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/backup_exporter /bin/backup_exporter
USER nonroot:nonroot
EXPOSE 9871
ENTRYPOINT ["/bin/backup_exporter"]
CMD ["--config.file=/etc/backup_exporter/backup_exporter.yml"]
