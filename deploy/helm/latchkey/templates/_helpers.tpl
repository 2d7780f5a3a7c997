{{/* Names, labels and the pieces every workload shares. */}}

{{- define "latchkey.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "latchkey.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "latchkey.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "latchkey.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* "<fullname>-<component>", e.g. include "latchkey.component" (list . "auth-api") */}}
{{- define "latchkey.component" -}}
{{- $root := index . 0 }}
{{- printf "%s-%s" (include "latchkey.fullname" $root) (index . 1) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "latchkey.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "latchkey.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{- define "latchkey.labels" -}}
{{- $root := index . 0 -}}
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" }}
{{ include "latchkey.selectorLabels" . }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: latchkey
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
{{- end }}

{{- define "latchkey.image" -}}
{{- $root := index . 0 }}
{{- $image := index . 1 }}
{{- printf "%s:%s" $image.repository (default $root.Chart.AppVersion $image.tag) }}
{{- end }}

{{- define "latchkey.secretName" -}}
{{- default (printf "%s-secrets" (include "latchkey.fullname" .)) .Values.secrets.existingSecret }}
{{- end }}

{{- define "latchkey.publicUrl" -}}
{{- default (printf "https://%s" .Values.ingress.host) .Values.publicUrl }}
{{- end }}

{{- define "latchkey.mongodbName" -}}
{{- include "latchkey.component" (list . "mongodb") }}
{{- end }}

{{- define "latchkey.rabbitmqName" -}}
{{- include "latchkey.component" (list . "rabbitmq") }}
{{- end }}

{{/*
MONGO_URL and AMQP_URL, with their credentials, always from Secrets: the operators' own
(the MongoDB user's connection-string Secret; the RabbitMQ default user's Secret, whose parts
Kubernetes joins into a URL with $(VAR) references) or secrets.existingSecret.
*/}}
{{- define "latchkey.brokerAndDatabaseEnv" -}}
{{- if .Values.mongodb.operator.enabled }}
- name: MONGO_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "latchkey.mongodbName" . }}-connection
      key: connectionString.standard
{{- else }}
- name: MONGO_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "latchkey.secretName" . }}
      key: MONGO_URL
{{- end }}
{{- if .Values.rabbitmq.operator.enabled }}
- name: AMQP_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ include "latchkey.rabbitmqName" . }}-default-user
      key: username
- name: AMQP_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "latchkey.rabbitmqName" . }}-default-user
      key: password
- name: AMQP_URL
  value: {{ printf "amqp://$(AMQP_USERNAME):$(AMQP_PASSWORD)@%s.%s.svc:5672" (include "latchkey.rabbitmqName" .) .Release.Namespace | quote }}
{{- else }}
- name: AMQP_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "latchkey.secretName" . }}
      key: AMQP_URL
{{- end }}
{{- end }}

{{/* Plain settings from a values map; the variables that carry credentials are refused. */}}
{{- define "latchkey.plainEnv" -}}
{{- $component := index . 0 }}
{{- $env := index . 1 }}
{{- range $name, $value := $env }}
{{- if has $name (list "CODE_SECRET" "JWT_PRIVATE_KEY" "MONGO_URL" "AMQP_URL" "SMTP_URL" "MONGO_PASSWORD") }}
{{- fail (printf "%s.env.%s: secrets come from secrets.existingSecret, never from values" $component $name) }}
{{- end }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{- define "latchkey.metricsEnv" -}}
- name: METRICS_HOST
  value: "0.0.0.0"
- name: METRICS_PORT
  value: {{ .Values.metrics.port | quote }}
{{- end }}

{{- define "latchkey.metricsAnnotations" -}}
{{- if .Values.metrics.podAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.metrics.port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end }}

{{/* Pod and container hardening shared by every workload; the argument is the image's user id
(numeric, so the kubelet can check runAsNonRoot). */}}
{{- define "latchkey.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ . }}
runAsGroup: {{ . }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "latchkey.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end }}

{{/* Replicas spread over nodes (and zones) when the cluster has room. */}}
{{- define "latchkey.topologySpread" -}}
- maxSkew: 1
  topologyKey: kubernetes.io/hostname
  whenUnsatisfiable: ScheduleAnyway
  labelSelector:
    matchLabels:
      {{- include "latchkey.selectorLabels" . | nindent 6 }}
- maxSkew: 1
  topologyKey: topology.kubernetes.io/zone
  whenUnsatisfiable: ScheduleAnyway
  labelSelector:
    matchLabels:
      {{- include "latchkey.selectorLabels" . | nindent 6 }}
{{- end }}
