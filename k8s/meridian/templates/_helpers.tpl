{{/*
Names, labels and the settings shared by the Deployments, the ConfigMap/Secret and the hook Job.
*/}}

{{- define "meridian.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "meridian.fullname" -}}
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

{{- define "meridian.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Name of a component's objects: (list $ "gateway") -> meridian-gateway. */}}
{{- define "meridian.componentName" -}}
{{- $root := index . 0 }}
{{- printf "%s-%s" (include "meridian.fullname" $root) (index . 1) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels every object of the release carries. */}}
{{- define "meridian.commonLabels" -}}
helm.sh/chart: {{ include "meridian.chart" . }}
app.kubernetes.io/name: {{ include "meridian.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: meridian
{{- end }}

{{/* Selector labels of the release's pods (every component): what the default-deny policy selects. */}}
{{- define "meridian.releaseSelectorLabels" -}}
app.kubernetes.io/name: {{ include "meridian.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* (list $ "gateway") */}}
{{- define "meridian.selectorLabels" -}}
{{ include "meridian.releaseSelectorLabels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/* (list $ "gateway") */}}
{{- define "meridian.labels" -}}
{{ include "meridian.commonLabels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{- define "meridian.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "meridian.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "meridian.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/*
The HTTP ports of each service and the setting that moves each one (the services' config schemas:
apps/<service>/src/config.ts, libs/identity/feature-oidc/src/oidc.config.ts). Port numbers come from values;
the variable names are the services' own and fixed here. "public" is the one port reachable from
outside the namespace (NetworkPolicy, Ingress): the gateway's API and identity's OpenID Connect
endpoints; every other port serves health checks only.
*/}}
{{- define "meridian.portEnv" -}}
gateway: {http: GATEWAY_PORT}
identity: {http: IDENTITY_HTTP_PORT, oidc: IDENTITY_OIDC_PORT}
workflow: {http: WORKFLOW_HTTP_PORT}
projection: {http: PROJECTION_HTTP_PORT}
geo-query: {http: GEO_QUERY_HTTP_PORT}
{{- end }}

{{- define "meridian.publicPort" -}}
gateway: http
identity: oidc
{{- end }}

{{/* Components that mount the exports volume: geo-query writes export files, the gateway serves them. */}}
{{- define "meridian.exportsComponents" -}}
[gateway, geo-query]
{{- end }}

{{- define "meridian.exportsMountPath" -}}/var/lib/meridian/exports{{- end }}
{{- define "meridian.kafkaCaDir" -}}/etc/meridian/kafka-ca{{- end }}
{{- define "meridian.postgresqlCaDir" -}}/etc/meridian/postgresql-ca{{- end }}

{{/* Name of the Secret the pods read: the operator's existingSecret, or the one this chart renders. */}}
{{- define "meridian.secretName" -}}
{{- default (include "meridian.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* postgres[ql]://user[:password]@host:port/db?sslmode=...&sslrootcert=... from the parts in values. */}}
{{- define "meridian.databaseUrl" -}}
{{- $pg := .Values.postgresql }}
{{- if $pg.url }}
{{- $pg.url }}
{{- else }}
{{- $auth := urlquery $pg.user }}
{{- if $pg.password }}{{ $auth = printf "%s:%s" $auth (urlquery $pg.password) }}{{ end }}
{{- $params := list }}
{{- if $pg.sslmode }}{{ $params = append $params (printf "sslmode=%s" $pg.sslmode) }}{{ end }}
{{- if or $pg.ca.secretName $pg.ca.configMapName }}
{{- $params = append $params (printf "sslrootcert=%s/%s" (include "meridian.postgresqlCaDir" .) $pg.ca.key) }}
{{- end }}
{{- printf "postgres://%s@%s:%v/%s" $auth $pg.host $pg.port $pg.database }}
{{- if $params }}?{{ join "&" $params }}{{ end }}
{{- end }}
{{- end }}

{{/* True (non-empty) when DATABASE_URL may carry a password, so it belongs in the Secret. */}}
{{- define "meridian.databaseUrlIsSecret" -}}
{{- if or .Values.postgresql.url .Values.postgresql.password }}true{{ end }}
{{- end }}

{{- define "meridian.redisUrl" -}}
{{- $r := .Values.redis }}
{{- if $r.url }}
{{- $r.url }}
{{- else }}
{{- $auth := "" }}
{{- if $r.password }}{{ $auth = printf "%s:%s@" (urlquery $r.username) (urlquery $r.password) }}{{ end }}
{{- printf "%s://%s%s:%v/%v" (ternary "rediss" "redis" $r.tls) $auth $r.host $r.port $r.db }}
{{- end }}
{{- end }}

{{- define "meridian.redisUrlIsSecret" -}}
{{- if or .Values.redis.url .Values.redis.password }}true{{ end }}
{{- end }}

{{- define "meridian.oidcIssuer" -}}
{{- if .Values.oidc.issuer }}
{{- .Values.oidc.issuer }}
{{- else if and .Values.ingress.enabled .Values.ingress.identity.host }}
{{- printf "%s://%s" (ternary "https" "http" (not (empty .Values.ingress.identity.tlsSecretName))) .Values.ingress.identity.host }}
{{- else }}
{{- printf "http://%s.%s.svc:%v" (include "meridian.componentName" (list . "identity")) .Release.Namespace .Values.services.identity.ports.oidc }}
{{- end }}
{{- end }}

{{- define "meridian.gatewayPublicUrl" -}}
{{- if .Values.gatewayPublicUrl }}
{{- .Values.gatewayPublicUrl }}
{{- else if and .Values.ingress.enabled .Values.ingress.gateway.host }}
{{- printf "%s://%s" (ternary "https" "http" (not (empty .Values.ingress.gateway.tlsSecretName))) .Values.ingress.gateway.host }}
{{- end }}
{{- end }}

{{/*
Non-secret settings every service (and the hook Job) reads, as a YAML map. Every name is declared
by a service's config schema (libs/shared/service-kit/src/config.ts and what apps/<service>/src/config.ts
spread in) or is a standard OpenTelemetry variable; test/deploy/helm-chart.spec.ts checks that.
*/}}
{{- define "meridian.configData" -}}
{{- $v := .Values }}
{{- $d := dict }}
{{- $_ := set $d "NODE_ENV" $v.nodeEnv }}
{{- $_ := set $d "HOST" "0.0.0.0" }}
{{- $_ := set $d "LOG_LEVEL" $v.logLevel }}
{{- $_ := set $d "METRICS_PORT" (toString $v.metrics.port) }}
{{- $_ := set $d "KAFKA_BROKERS" (join "," $v.kafka.brokers) }}
{{- $_ := set $d "KAFKA_TOPIC_REPLICATION_FACTOR" (toString $v.kafka.topicReplicationFactor) }}
{{- $_ := set $d "KAFKA_SSL" (toString $v.kafka.tls.enabled) }}
{{- if and $v.kafka.tls.enabled (or $v.kafka.tls.ca.secretName $v.kafka.tls.ca.configMapName) }}
{{- $_ := set $d "KAFKA_SSL_CA_FILE" (printf "%s/%s" (include "meridian.kafkaCaDir" .) $v.kafka.tls.ca.key) }}
{{- end }}
{{- if $v.kafka.sasl.mechanism }}
{{- $_ := set $d "KAFKA_SASL_MECHANISM" $v.kafka.sasl.mechanism }}
{{- $_ := set $d "KAFKA_SASL_USERNAME" $v.kafka.sasl.username }}
{{- end }}
{{- if not (or .Values.postgresql.urlFromSecret (include "meridian.databaseUrlIsSecret" .)) }}
{{- $_ := set $d "DATABASE_URL" (include "meridian.databaseUrl" .) }}
{{- end }}
{{- $_ := set $d "DATABASE_POOL_SIZE" (toString $v.postgresql.poolSize) }}
{{- if not (or .Values.redis.urlFromSecret (include "meridian.redisUrlIsSecret" .)) }}
{{- $_ := set $d "REDIS_URL" (include "meridian.redisUrl" .) }}
{{- end }}
{{- $_ := set $d "OIDC_ISSUER" (include "meridian.oidcIssuer" .) }}
{{- with include "meridian.gatewayPublicUrl" . }}
{{- $_ := set $d "GATEWAY_PUBLIC_URL" . }}
{{- $_ := set $d "IDENTITY_CONSOLE_REDIRECT_URIS" (printf "%s/console/,%s/docs/oauth2-redirect.html" . .) }}
{{- end }}
{{- $_ := set $d "IDENTITY_BOOTSTRAP_TENANTS" (join "," $v.identity.bootstrapTenants) }}
{{- /* No demo users unless the Secret (values' secrets.bootstrapUsers, or the existingSecret) lists some. */}}
{{- $_ := set $d "IDENTITY_BOOTSTRAP_USERS" "[]" }}
{{- $_ := set $d "EXPORTS_STORAGE" $v.exports.storage }}
{{- if eq $v.exports.storage "directory" }}
{{- $_ := set $d "EXPORTS_DIR" (include "meridian.exportsMountPath" .) }}
{{- else }}
{{- $_ := set $d "EXPORTS_S3_BUCKET" $v.exports.s3.bucket }}
{{- $_ := set $d "EXPORTS_S3_PREFIX" $v.exports.s3.prefix }}
{{- $_ := set $d "EXPORTS_S3_REGION" $v.exports.s3.region }}
{{- $_ := set $d "EXPORTS_S3_FORCE_PATH_STYLE" (toString $v.exports.s3.forcePathStyle) }}
{{- with $v.exports.s3.endpoint }}{{ $_ := set $d "EXPORTS_S3_ENDPOINT" . }}{{ end }}
{{- end }}
{{- if $v.tracing.enabled }}
{{- $_ := set $d "OTEL_EXPORTER_OTLP_ENDPOINT" $v.tracing.otlpEndpoint }}
{{- with $v.tracing.sampler }}{{ $_ := set $d "OTEL_TRACES_SAMPLER" . }}{{ end }}
{{- with $v.tracing.samplerArg }}{{ $_ := set $d "OTEL_TRACES_SAMPLER_ARG" (toString .) }}{{ end }}
{{- end }}
{{- range $k, $val := $v.config }}
{{- $_ := set $d $k (toString $val) }}
{{- end }}
{{- include "meridian.refuseLoopback" (dict "where" "config" "env" $d) }}
{{- toYaml $d }}
{{- end }}

{{/*
WEBHOOKS_ALLOW_LOOPBACK is a development switch the projection refuses with NODE_ENV=production;
the chart never sets it and refuses a values file that tries to.
*/}}
{{- define "meridian.refuseLoopback" -}}
{{- range $k, $val := .env }}
{{- if and (eq $k "WEBHOOKS_ALLOW_LOOPBACK") (eq (toString $val | lower) "true") }}
{{- fail (printf "%s: WEBHOOKS_ALLOW_LOOPBACK=true is for development only and never set by this chart" $.where) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Secret settings given in values, as a YAML map of clear-text values (the Secret template encodes
them). Secrets left empty here come from the Secret generated once at install
(generated-secret.yaml).
*/}}
{{- define "meridian.secretData" -}}
{{- $v := .Values }}
{{- $d := dict }}
{{- with $v.secrets.secretsKey }}{{ $_ := set $d "SECRETS_KEY" . }}{{ end }}
{{- with $v.secrets.platformClientSecret }}{{ $_ := set $d "IDENTITY_PLATFORM_CLIENT_SECRET" . }}{{ end }}
{{- with $v.secrets.bootstrapAdminSecret }}{{ $_ := set $d "IDENTITY_BOOTSTRAP_ADMIN_SECRET" . }}{{ end }}
{{- with $v.secrets.cookieKeys }}{{ $_ := set $d "IDENTITY_COOKIE_KEYS" . }}{{ end }}
{{- if and $v.secrets.bootstrapUsers (ne (trim $v.secrets.bootstrapUsers) "[]") }}
{{- $_ := set $d "IDENTITY_BOOTSTRAP_USERS" $v.secrets.bootstrapUsers }}
{{- end }}
{{- with $v.secrets.federation }}{{ $_ := set $d "IDENTITY_FEDERATION" . }}{{ end }}
{{- if and (not $v.postgresql.urlFromSecret) (include "meridian.databaseUrlIsSecret" .) }}
{{- $_ := set $d "DATABASE_URL" (include "meridian.databaseUrl" .) }}
{{- end }}
{{- if and (not $v.redis.urlFromSecret) (include "meridian.redisUrlIsSecret" .) }}
{{- $_ := set $d "REDIS_URL" (include "meridian.redisUrl" .) }}
{{- end }}
{{- with $v.kafka.sasl.password }}{{ $_ := set $d "KAFKA_SASL_PASSWORD" . }}{{ end }}
{{- if eq $v.exports.storage "s3" }}
{{- with $v.exports.s3.accessKeyId }}{{ $_ := set $d "EXPORTS_S3_ACCESS_KEY_ID" . }}{{ end }}
{{- with $v.exports.s3.secretAccessKey }}{{ $_ := set $d "EXPORTS_S3_SECRET_ACCESS_KEY" . }}{{ end }}
{{- end }}
{{- toYaml $d }}
{{- end }}

{{/*
With existingSecret every secret comes from the operator's Secret: a secret also given in clear in
values would be silently ignored (or, worse, be meant to go somewhere), so it stops the render.
*/}}
{{- define "meridian.checkExistingSecret" -}}
{{- $v := .Values }}
{{- range $what := list "postgresql" "redis" }}
{{- if and (index $v $what).urlFromSecret (not $v.secrets.existingSecret) }}
{{- fail (printf "%s.urlFromSecret needs secrets.existingSecret (the Secret that holds the URL)" $what) }}
{{- end }}
{{- end }}
{{- if $v.secrets.existingSecret }}
{{- $clear := dict
  "secrets.secretsKey" $v.secrets.secretsKey
  "secrets.platformClientSecret" $v.secrets.platformClientSecret
  "secrets.bootstrapAdminSecret" $v.secrets.bootstrapAdminSecret
  "secrets.cookieKeys" $v.secrets.cookieKeys
  "secrets.federation" $v.secrets.federation
  "secrets.bootstrapUsers" (ternary "" $v.secrets.bootstrapUsers (eq (trim $v.secrets.bootstrapUsers) "[]"))
  "postgresql.url" $v.postgresql.url
  "postgresql.password" $v.postgresql.password
  "redis.url" $v.redis.url
  "redis.password" $v.redis.password
  "kafka.sasl.password" $v.kafka.sasl.password
  "exports.s3.accessKeyId" $v.exports.s3.accessKeyId
  "exports.s3.secretAccessKey" $v.exports.s3.secretAccessKey }}
{{- range $k, $val := $clear }}
{{- if $val }}
{{- fail (printf "%s is set in values but secrets.existingSecret=%s supplies the secrets: put it in that Secret instead" $k $v.secrets.existingSecret) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Env entries that reference Secrets by key (env wins over envFrom): the PostgreSQL password
(node-postgres reads PGPASSWORD when DATABASE_URL has none) and the Kafka SASL password, when the
operator keeps them in Secrets of their own.
*/}}
{{- define "meridian.secretRefEnv" -}}
{{- with .Values.postgresql.passwordSecret.name }}
- name: PGPASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.postgresql.passwordSecret.key }}
{{- end }}
{{- with .Values.kafka.sasl.passwordSecret.name }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.kafka.sasl.passwordSecret.key }}
{{- end }}
{{- end }}

{{/* CA bundles mounted as files (Kafka TLS, PostgreSQL TLS): volumes and their mounts. */}}
{{- define "meridian.caVolumes" -}}
{{- range $name, $ca := dict "kafka-ca" .Values.kafka.tls.ca "postgresql-ca" .Values.postgresql.ca }}
{{- if $ca.secretName }}
- name: {{ $name }}
  secret:
    secretName: {{ $ca.secretName }}
    items: [{key: {{ $ca.key | quote }}, path: {{ $ca.key | quote }}}]
{{- else if $ca.configMapName }}
- name: {{ $name }}
  configMap:
    name: {{ $ca.configMapName }}
    items: [{key: {{ $ca.key | quote }}, path: {{ $ca.key | quote }}}]
{{- end }}
{{- end }}
{{- end }}

{{- define "meridian.caVolumeMounts" -}}
{{- if or .Values.kafka.tls.ca.secretName .Values.kafka.tls.ca.configMapName }}
- name: kafka-ca
  mountPath: {{ include "meridian.kafkaCaDir" . }}
  readOnly: true
{{- end }}
{{- if or .Values.postgresql.ca.secretName .Values.postgresql.ca.configMapName }}
- name: postgresql-ca
  mountPath: {{ include "meridian.postgresqlCaDir" . }}
  readOnly: true
{{- end }}
{{- end }}
