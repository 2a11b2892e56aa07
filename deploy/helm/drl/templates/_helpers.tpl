{{/* The objects' base name: the release name, or release-chart when it does not contain "drl". */}}
{{- define "drl.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 57 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 57 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "drl.peersService" -}}
{{- printf "%s-peers" (include "drl.fullname" .) -}}
{{- end -}}

{{- define "drl.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "drl.labels" -}}
{{ include "drl.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* HOST:PORT for a port of this pod: 0.0.0.0 or [::] to listen on. */}}
{{- define "drl.any" -}}
{{- if .Values.ipv6 -}}[::]{{- else -}}0.0.0.0{{- end -}}
{{- end -}}
