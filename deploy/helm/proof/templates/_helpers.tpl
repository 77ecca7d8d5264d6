{{/* Names and labels shared by every template. */}}

{{- define "proof.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "proof.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "proof.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "proof.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "proof.selectorLabels" -}}
app.kubernetes.io/name: {{ include "proof.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "proof.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "proof.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: proof
proof.example.com/environment: {{ .Values.environment }}
{{- end -}}

{{- define "proof.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/* Secret names: the same whichever provider (externalSecret, sealedSecret, existing) makes them. */}}
{{- define "proof.appSecret" -}}{{ include "proof.fullname" . }}-app{{- end -}}
{{- define "proof.tlsSecret" -}}{{ include "proof.fullname" . }}-tls{{- end -}}
{{- define "proof.clientCaSecret" -}}{{ include "proof.fullname" . }}-client-ca{{- end -}}
{{- define "proof.signingSecret" -}}{{ include "proof.fullname" . }}-signing{{- end -}}

{{/* Native TLS in the pod: on for passthrough ingress, or when asked for. */}}
{{- define "proof.podTls" -}}
{{- if or .Values.tls.enabled (eq .Values.ingress.mode "passthrough") -}}true{{- end -}}
{{- end -}}

{{/* Client certificates are checked where TLS from the client ends: by the pod with
passthrough or without an ingress, by the ingress in edge mode (the pod's own TLS then
only re-encrypts the hop from the ingress). */}}
{{- define "proof.podClientAuth" -}}
{{- if and (include "proof.podTls" .) (or (not .Values.ingress.enabled) (eq .Values.ingress.mode "passthrough")) -}}
{{- .Values.tls.clientAuth -}}
{{- else -}}off{{- end -}}
{{- end -}}

{{- define "proof.scheme" -}}
{{- if include "proof.podTls" . -}}HTTPS{{- else -}}HTTP{{- end -}}
{{- end -}}
