{{/* Name of the chart. */}}
{{- define "backup-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name. */}}
{{- define "backup-exporter.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "backup-exporter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "backup-exporter.labels" -}}
helm.sh/chart: {{ include "backup-exporter.chart" . }}
{{ include "backup-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "backup-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "backup-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: exporter
{{- end }}

{{- define "backup-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "backup-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Name of the Secret mounted at /etc/backup_exporter/secrets/. */}}
{{- define "backup-exporter.secretName" -}}
{{- default (printf "%s-secrets" (include "backup-exporter.fullname" .)) .Values.secret.existingSecret }}
{{- end }}

{{- define "backup-exporter.config" -}}
{{- required "config is required: backup_exporter.yml as YAML" .Values.config | toYaml }}
{{- end }}

{{/* Whether the pod reads the Kubernetes API (its token is then mounted):
the providers whose RBAC the chart renders. */}}
{{- define "backup-exporter.automountToken" -}}
{{- or .Values.serviceAccount.automountServiceAccountToken .Values.tridentProtect.enabled .Values.velero.enabled .Values.cloudnativePG.enabled .Values.longhorn.enabled }}
{{- end }}
