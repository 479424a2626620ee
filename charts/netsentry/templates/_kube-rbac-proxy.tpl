{{/* The collector's kubelet probes: its own HTTP port, or through kube-rbac-proxy (open paths) when the collector listens on 127.0.0.1 only. */}}
{{- define "netsentry.collectorProbePort" -}}
{{- if .Values.collector.kubeRbacProxy.enabled -}}
port: {{ .Values.collector.kubeRbacProxy.port }}
scheme: HTTPS
{{- else -}}
port: http
{{- end }}
{{- end }}

{{/* kube-rbac-proxy in front of the collector's HTTP port: TLS, TokenReview, SubjectAccessReview on the request path. */}}
{{- define "netsentry.kubeRbacProxyContainer" -}}
{{- $proxy := .Values.collector.kubeRbacProxy -}}
- name: kube-rbac-proxy
  image: {{ $proxy.image }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  args:
    - --secure-listen-address={{ include "netsentry.listen" (dict "ctx" . "port" $proxy.port) }}
    - --upstream=http://127.0.0.1:{{ .Values.collector.service.httpPort }}/
    {{- with $proxy.openPaths }}
    - --ignore-paths={{ join "," . }}
    {{- end }}
    {{- if $proxy.tlsSecret }}
    - --tls-cert-file=/etc/kube-rbac-proxy/tls/tls.crt
    - --tls-private-key-file=/etc/kube-rbac-proxy/tls/tls.key
    {{- end }}
    {{- with $proxy.extraArgs }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  ports:
    - name: https
      containerPort: {{ $proxy.port }}
      protocol: TCP
  resources:
    {{- toYaml $proxy.resources | nindent 4 }}
  securityContext:
    {{- toYaml .Values.collector.securityContext | nindent 4 }}
  {{- if $proxy.tlsSecret }}
  volumeMounts:
    - name: kube-rbac-proxy-tls
      mountPath: /etc/kube-rbac-proxy/tls
      readOnly: true
  {{- end }}
{{- end }}
