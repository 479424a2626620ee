{{/* Names, labels and the pieces both agent DaemonSets share. */}}

{{- define "netsentry.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Prefix of every resource name: fullnameOverride, else "<release>-<chart>" unless the release already holds the chart name. */}}
{{- define "netsentry.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "netsentry.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Common labels; call with (dict "ctx" $ "component" "collector"). */}}
{{- define "netsentry.labels" -}}
helm.sh/chart: {{ include "netsentry.chart" .ctx }}
{{ include "netsentry.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: netsentry
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Pod template labels: the common labels plus podLabels; call with (dict "ctx" $ "component" "collector" "podLabels" .Values.collector.podLabels). */}}
{{- define "netsentry.podLabels" -}}
{{ include "netsentry.labels" . }}
{{- with .podLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels; call with (dict "ctx" $ "component" "collector"). */}}
{{- define "netsentry.selectorLabels" -}}
app.kubernetes.io/name: {{ include "netsentry.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "netsentry.collectorName" -}}
{{- printf "%s-collector" (include "netsentry.fullname" .) }}
{{- end }}

{{- define "netsentry.collectorServiceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "netsentry.collectorName" .) .Values.serviceAccount.collectorName }}
{{- else }}
{{- default "default" .Values.serviceAccount.collectorName }}
{{- end }}
{{- end }}

{{- define "netsentry.agentServiceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (printf "%s-agent" (include "netsentry.fullname" .)) .Values.serviceAccount.agentName }}
{{- else }}
{{- default "default" .Values.serviceAccount.agentName }}
{{- end }}
{{- end }}

{{/* The collector Service's DNS name: what agents dial and what the server certificate names. */}}
{{- define "netsentry.collectorHost" -}}
{{- printf "%s.%s.svc.%s" (include "netsentry.collectorName" .) .Release.Namespace .Values.clusterDomain }}
{{- end }}

{{- define "netsentry.collectorAddress" -}}
{{- printf "%s:%d" (include "netsentry.collectorHost" .) (int .Values.collector.service.grpcPort) }}
{{- end }}

{{/* DNS names of the server certificate (auto and certManager modes), space-separated: use with splitList " ". */}}
{{- define "netsentry.collectorDnsNames" -}}
{{- $svc := include "netsentry.collectorName" . }}
{{- $ns := .Release.Namespace }}
{{- list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (include "netsentry.collectorHost" .) | join " " }}
{{- end }}

{{/* repository:tag, or repository:tag@digest when a digest is set (the digest is what the runtime pulls). */}}
{{- define "netsentry.image" -}}
{{- $ref := printf "%s:%s" .repository (default .ctx.Chart.AppVersion .ctx.Values.image.tag) }}
{{- if .digest }}{{ $ref = printf "%s@%s" $ref .digest }}{{ end }}
{{- $ref }}
{{- end }}

{{- define "netsentry.agentImage" -}}
{{- include "netsentry.image" (dict "ctx" . "repository" .Values.image.agentRepository "digest" .Values.image.agentDigest) }}
{{- end }}

{{- define "netsentry.collectorImage" -}}
{{- include "netsentry.image" (dict "ctx" . "repository" .Values.image.collectorRepository "digest" .Values.image.collectorDigest) }}
{{- end }}

{{/* HOST:PORT for a listen flag: listenAddress "[::]" listens on IPv6 and (dual-stack) IPv4, "0.0.0.0" on IPv4 only. */}}
{{- define "netsentry.listen" -}}
{{- printf "%s:%d" .ctx.Values.listenAddress (int .port) }}
{{- end }}

{{- define "netsentry.authSecretName" -}}
{{- default (printf "%s-agent-token" (include "netsentry.fullname" .)) .Values.auth.existingSecret }}
{{- end }}

{{/* "true" when gRPC uses TLS, empty otherwise (template results are strings). */}}
{{- define "netsentry.tlsEnabled" -}}
{{- if ne .Values.tls.mode "disabled" }}true{{ end }}
{{- end }}

{{- define "netsentry.tlsSecretName" -}}
{{- if eq .Values.tls.mode "existingSecret" }}
{{- required "tls.existingSecret is required when tls.mode is existingSecret" .Values.tls.existingSecret }}
{{- else }}
{{- printf "%s-collector-tls" (include "netsentry.fullname" .) }}
{{- end }}
{{- end }}

{{/* Flags both agent modes get; the mode-specific ones are in each DaemonSet. */}}
{{- define "netsentry.agentArgs" -}}
- --collector={{ include "netsentry.collectorAddress" . }}
- --node-name=$(NODE_NAME)
- --probe-listen={{ include "netsentry.listen" (dict "ctx" . "port" .Values.agent.probePort) }}
- --probe-interval={{ .Values.agent.probeInterval }}
- --log-level={{ .Values.logLevel }}
{{- if and .Values.kubernetes.enabled .Values.kubernetes.nodeIdentity }}
- --auth-token-file=/etc/netsentry/sa-token/token
{{- else if .Values.auth.enabled }}
- --auth-token-file=/etc/netsentry/auth/token
{{- end }}
{{- if include "netsentry.tlsEnabled" . }}
- --tls-ca-file=/etc/netsentry/tls/ca.crt
{{- if .Values.tls.serverName }}
- --tls-server-name={{ .Values.tls.serverName }}
{{- end }}
{{- end }}
{{- end }}

{{/* Volumes of both agents: a small /tmp, the token, and only the CA of the TLS Secret (never the server key). */}}
{{- define "netsentry.agentVolumes" -}}
- name: tmp
  emptyDir:
    medium: Memory
    sizeLimit: 16Mi
{{- if .Values.auth.enabled }}
- name: auth
  secret:
    secretName: {{ include "netsentry.authSecretName" . }}
    defaultMode: 288 # 0440
    items:
      - key: {{ .Values.auth.secretKey }}
        path: token
{{- end }}
{{- if include "netsentry.tlsEnabled" . }}
- name: tls
  secret:
    secretName: {{ include "netsentry.tlsSecretName" . }}
    defaultMode: 288 # 0440
    items:
      - key: ca.crt
        path: ca.crt
{{- end }}
{{- include "netsentry.kubernetesAgentVolumes" . | nindent 0 }}
{{- end }}

{{- define "netsentry.agentVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.auth.enabled }}
- name: auth
  mountPath: /etc/netsentry/auth
  readOnly: true
{{- end }}
{{- if include "netsentry.tlsEnabled" . }}
- name: tls
  mountPath: /etc/netsentry/tls
  readOnly: true
{{- end }}
{{- include "netsentry.kubernetesAgentVolumeMounts" . | nindent 0 }}
{{- end }}

{{/* Restart pods when the token settings change (a generated token is kept, so this is stable across upgrades). */}}
{{- define "netsentry.checksumAnnotations" -}}
checksum/auth: {{ .Values.auth | toJson | sha256sum }}
checksum/tls: {{ .Values.tls | toJson | sha256sum }}
{{- end }}

{{/* The Pod Security Standards level the release namespace must allow: host-network pods (the host agent,
the collector by default) are beyond "baseline"; everything else meets "restricted". */}}
{{- define "netsentry.podSecurityLevel" -}}
{{- if or .Values.hostAgent.enabled .Values.collector.hostNetwork }}privileged{{ else }}restricted{{ end }}
{{- end }}

{{/* The Kubernetes API as the collector's source of truth (values: kubernetes.*). */}}

{{/* Collector flags for the API. */}}
{{- define "netsentry.kubernetesCollectorArgs" -}}
{{- if .Values.kubernetes.enabled }}
- --kubernetes=on
- --token-audience={{ .Values.kubernetes.tokenAudience }}
{{- if .Values.kubernetes.writeBack }}
- --write-back=on
{{- end }}
- --kubernetes-targets={{ .Values.kubernetes.targets }}
{{- else }}
- --kubernetes=off
{{- end }}
{{- end }}

{{/* The agents' projected token (audience kubernetes.tokenAudience); the kubelet rotates it, the agent re-reads it. */}}
{{- define "netsentry.kubernetesAgentVolumes" -}}
{{- if and .Values.kubernetes.enabled .Values.kubernetes.nodeIdentity }}
- name: sa-token
  projected:
    defaultMode: 292 # 0444: the agent runs as a non-root user
    sources:
      - serviceAccountToken:
          audience: {{ .Values.kubernetes.tokenAudience }}
          expirationSeconds: {{ .Values.kubernetes.tokenExpirationSeconds }}
          path: token
{{- end }}
{{- end }}

{{- define "netsentry.kubernetesAgentVolumeMounts" -}}
{{- if and .Values.kubernetes.enabled .Values.kubernetes.nodeIdentity }}
- name: sa-token
  mountPath: /etc/netsentry/sa-token
  readOnly: true
{{- end }}
{{- end }}
