{{/* vim: set filetype=mustache: */}}

{{/* Chart name, overridable (Bitnami's common.names.name). */}}
{{- define "medins.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name (Bitnami's common.names.fullname). */}}
{{- define "medins.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "medins.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Standard labels (Bitnami's common.labels.standard). */}}
{{- define "medins.labels" -}}
app.kubernetes.io/name: {{ include "medins.name" . }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: medins
helm.sh/chart: {{ include "medins.chart" . }}
medins.gov.cn/city: {{ .Values.city.name | quote }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels that select the release's pods (Bitnami's common.labels.matchLabels). */}}
{{- define "medins.matchLabels" -}}
app.kubernetes.io/name: {{ include "medins.name" . }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end -}}

{{/* Common annotations block body, empty when none. */}}
{{- define "medins.annotations" -}}
{{- with .Values.commonAnnotations }}
{{- toYaml . }}
{{- end }}
{{- end -}}

{{/* A component's resource name: medins.component.fullname (dict "root" $ "appId" "identity-registry"). */}}
{{- define "medins.component.fullname" -}}
{{- printf "%s-%s" (include "medins.fullname" .root) .appId | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "medins.component.labels" -}}
{{ include "medins.labels" .root }}
app.kubernetes.io/component: {{ .appId }}
{{- end -}}

{{- define "medins.component.matchLabels" -}}
{{ include "medins.matchLabels" .root }}
app.kubernetes.io/component: {{ .appId }}
{{- end -}}

{{/*
Every enabled component (the five services, then the gateway) with componentDefaults merged under its own
values, two levels deep (a nested map such as autoscaling.podsMetric is replaced whole). Sprig's merge treats
false as unset, so the merge is spelled out to let a component turn a default off.
Use: range (include "medins.components" . | fromYaml).items
*/}}
{{- define "medins.components" -}}
{{- $items := list -}}
{{- $entries := list -}}
{{- range $key := keys .Values.services | sortAlpha -}}
{{- $entries = append $entries (dict "key" $key "values" (get $.Values.services $key) "gateway" false) -}}
{{- end -}}
{{- $entries = append $entries (dict "key" "gateway" "values" (merge (dict "enabled" true) .Values.gateway) "gateway" true) -}}
{{- range $entry := $entries -}}
{{- if $entry.values.enabled -}}
{{- $c := deepCopy $.Values.componentDefaults -}}
{{- range $k, $v := $entry.values -}}
{{- if and (kindIs "map" $v) (kindIs "map" (get $c $k)) -}}
{{- $inner := deepCopy (get $c $k) -}}
{{- range $k2, $v2 := $v -}}
{{- $_ := set $inner $k2 $v2 -}}
{{- end -}}
{{- $_ := set $c $k $inner -}}
{{- else -}}
{{- $_ := set $c $k $v -}}
{{- end -}}
{{- end -}}
{{- $_ := set $c "key" $entry.key -}}
{{- $_ := set $c "gateway" $entry.gateway -}}
{{- $items = append $items $c -}}
{{- end -}}
{{- end -}}
{{- toYaml (dict "items" $items) -}}
{{- end -}}

{{/* The appId of the service under a services key: medins.appIdOf (dict "root" $ "key" "identityRegistry"). */}}
{{- define "medins.appIdOf" -}}
{{- $svc := get .root.Values.services .key -}}
{{- if not $svc -}}
{{- fail (printf "services.%s is named in a `calls` list but is not a service" .key) -}}
{{- end -}}
{{- $svc.appId -}}
{{- end -}}

{{/* Image reference: medins.image (dict "root" $ "repository" "medins/gateway" "ref" "<full reference or empty>"). */}}
{{- define "medins.image" -}}
{{- $img := .root.Values.image -}}
{{- if .ref -}}
{{- .ref -}}
{{- else -}}
{{- $registry := $img.registry | trimSuffix "/" -}}
{{- $prefix := ternary "" (printf "%s/" $registry) (empty $registry) -}}
{{- if $img.digest -}}
{{- printf "%s%s@%s" $prefix .repository $img.digest -}}
{{- else -}}
{{- printf "%s%s:%s" $prefix .repository (default .root.Chart.AppVersion $img.tag) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Secret names: the existing Secret when given, else the chart's own. */}}
{{- define "medins.secret.database" -}}
{{- required "secrets.database.existingSecret is required: a Secret with keys owner-password and <app-id>-password per service (see the chart README)" .Values.secrets.database.existingSecret -}}
{{- end -}}
{{- define "medins.secret.identity" -}}
{{- default (printf "%s-identity-keys" (include "medins.fullname" .)) .Values.secrets.identity.existingSecret -}}
{{- end -}}
{{- define "medins.secret.gateway" -}}
{{- default (printf "%s-gateway" (include "medins.fullname" .)) .Values.secrets.gateway.existingSecret -}}
{{- end -}}
{{- define "medins.secret.assertion" -}}
{{- default (printf "%s-%s-assertion" (include "medins.fullname" .root) .appId | trunc 63 | trimSuffix "-") (get .root.Values.secrets.assertion.existingSecrets .appId) -}}
{{- end -}}
{{- define "medins.secret.daprAppToken" -}}
{{- default (printf "%s-dapr-app-token" (include "medins.fullname" .)) .Values.secrets.dapr.appTokenSecret -}}
{{- end -}}
{{- define "medins.secret.daprApiToken" -}}
{{- default (printf "%s-dapr-api-token" (include "medins.fullname" .)) .Values.secrets.dapr.apiTokenSecret -}}
{{- end -}}
{{- define "medins.secret.pubsub" -}}
{{- default (printf "%s-pubsub" (include "medins.fullname" .)) .Values.secrets.pubsub.existingSecret -}}
{{- end -}}

{{/*
"true" when lookup reaches the cluster (helm install/upgrade, --dry-run=server), empty under helm template, client
dry runs and GitOps renderers, where Helm's lookup returns an empty map for everything. A list (empty name) answers
a non-empty map (apiVersion, kind, items) even in a namespace that does not exist yet, and needs only the namespaced
list permission the release needs anyway.
*/}}
{{- define "medins.cluster.visible" -}}
{{- if lookup "v1" "ServiceAccount" .Release.Namespace "" -}}true{{- end -}}
{{- end -}}

{{/*
A random secret value that survives upgrades: the value already in the cluster when there is one (lookup),
else a new one. medins.secret.keep (dict "root" $ "secret" "name" "key" "k" "generate" "alnum32|bytes32")
*/}}
{{- define "medins.secret.keep" -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace .secret -}}
{{- if and $existing $existing.data (hasKey $existing.data .key) -}}
{{- index $existing.data .key -}}
{{- else if and (not (include "medins.cluster.visible" .root)) (not .root.Values.secrets.ephemeralKeys) -}}
{{- fail (printf "%s: Helm cannot see the cluster here (helm template, a GitOps tool, --dry-run without =server), so a generated %s would be new on every render. Set %s to a Secret you created once (chart README, \"Keys under GitOps\"), or install with helm install/upgrade" .secret .key .value) -}}
{{- else if eq .generate "bytes32" -}}
{{- randBytes 32 | b64enc -}}
{{- else -}}
{{- randAlphaNum 32 | b64enc -}}
{{- end -}}
{{- end -}}

{{/*
An issuer's assertion key that survives upgrades: the Secret already in the cluster when it holds one (lookup),
else a new ECDSA P-256 key with a self-signed certificate of it (the verifiers need only the public key; the
certificate carries it) and the key id <issuer>-<yyyyMMdd>. Returns YAML: signingKey, certificate, keyId (base64).
medins.assertion.keep (dict "root" $ "secret" "name" "appId" "gateway")
*/}}
{{- define "medins.assertion.keep" -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace .secret -}}
{{- if and $existing $existing.data (hasKey $existing.data "signing-key") (hasKey $existing.data "certificate") (hasKey $existing.data "key-id") -}}
signingKey: {{ index $existing.data "signing-key" }}
certificate: {{ index $existing.data "certificate" }}
keyId: {{ index $existing.data "key-id" }}
{{- else if and (not (include "medins.cluster.visible" .root)) (not .root.Values.secrets.ephemeralKeys) -}}
{{- fail (printf "%s: Helm cannot see the cluster here (helm template, a GitOps tool, --dry-run without =server), so a generated signing key would be new on every render. Set secrets.assertion.existingSecrets.%s to a Secret you created once (chart README, \"Keys under GitOps\"), or install with helm install/upgrade" .secret .appId) -}}
{{- else -}}
{{- $key := genPrivateKey "ecdsa" -}}
{{- $cert := genSelfSignedCertWithKey .appId nil nil 3650 $key -}}
signingKey: {{ $key | b64enc }}
certificate: {{ $cert.Cert | b64enc }}
keyId: {{ printf "%s-%s" .appId (now | date "20060102") | b64enc }}
{{- end -}}
{{- end -}}

{{/* Every issuer of assertions: the gateway and each service, by app id. */}}
{{- define "medins.issuers" -}}
{{- $ids := list .Values.gateway.appId -}}
{{- range $key := keys .Values.services | sortAlpha -}}
{{- $ids = append $ids (get $.Values.services $key).appId -}}
{{- end -}}
{{- toYaml (dict "items" $ids) -}}
{{- end -}}

{{/* Dapr Configuration name. */}}
{{- define "medins.dapr.configName" -}}
{{- printf "%s-%s" (include "medins.fullname" .) .Values.dapr.configName | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Dapr pub/sub component name (the services' Events:PubSubName). */}}
{{- define "medins.pubsubName" -}}
{{- .Values.pubsub.name -}}
{{- end -}}

{{/*
Npgsql connection string without the password (appended from $(DB_PASSWORD)): the pool size given (the connection
budget's share, medins.db.pool) and, with a CA, Root Certificate at the read-only mount of medins.db.caVolume.
medins.connectionString (dict "root" $ "username" "medins_x" "pool" 12)
*/}}
{{- define "medins.connectionString" -}}
{{- $db := .root.Values.database -}}
{{- $cs := printf "Host=%s;Port=%d;Database=%s;Username=%s;SSL Mode=%s;Maximum Pool Size=%d" $db.host (int $db.port) $db.name .username $db.sslMode (int .pool) -}}
{{- if include "medins.db.caPath" .root -}}
{{- $cs = printf "%s;Root Certificate=%s" $cs (include "medins.db.caPath" .root) -}}
{{- end -}}
{{- printf "%s;Password=$(DB_PASSWORD)" $cs -}}
{{- end -}}

{{/* Where the PostgreSQL CA is mounted (empty without one); VerifyCA and VerifyFull refuse to render without it. */}}
{{- define "medins.db.caPath" -}}
{{- $ca := .Values.database.ca -}}
{{- if and $ca.secretName $ca.configMapName -}}
{{- fail "database.ca: set secret or configMap, not both" -}}
{{- end -}}
{{- if or $ca.secretName $ca.configMapName -}}
{{- printf "/etc/medins/postgresql-ca/%s" $ca.key -}}
{{- else if has .Values.database.sslMode (list "VerifyCA" "VerifyFull") -}}
{{- fail (printf "database.sslMode=%s verifies the server's certificate, which needs its CA: set database.ca.secretName or database.ca.configMapName (and database.ca.key) to where the CA certificate is (chart README, \"TLS\")" .Values.database.sslMode) -}}
{{- end -}}
{{- end -}}

{{/* The pod volume of the PostgreSQL CA (a list item, indented by the caller), empty without one. */}}
{{- define "medins.db.caVolume" -}}
{{- $ca := .Values.database.ca -}}
{{- if $ca.secretName }}
- name: postgresql-ca
  secret:
    secretName: {{ $ca.secretName }}
    items:
      - key: {{ $ca.key }}
        path: {{ $ca.key }}
{{- else if $ca.configMapName }}
- name: postgresql-ca
  configMap:
    name: {{ $ca.configMapName }}
    items:
      - key: {{ $ca.key }}
        path: {{ $ca.key }}
{{- end }}
{{- end -}}

{{/*
The connection budget. Every pod of a service may hold its pool (Npgsql Maximum Pool Size), so the most connections
the release can open is the migrator's pool (it runs while the old pods still serve) plus, per service, its most
pods times the pool: the autoscaler's maxReplicas (or replicaCount without one) plus the rollout's surge (maxSurge
25%, rounded up). The pool is the budget's equal share per pod, capped by database.maxPoolSize; below
database.minPoolSize the chart refuses to render. Returns YAML: pool, pods, budget, migrator, detail.
*/}}
{{- define "medins.db.budget" -}}
{{- $db := .Values.database -}}
{{- $pods := 0 -}}
{{- $detail := list -}}
{{- range $c := (include "medins.components" . | fromYaml).items -}}
{{- if not $c.gateway -}}
{{- $max := int (ternary $c.autoscaling.maxReplicas $c.replicaCount $c.autoscaling.enabled) -}}
{{- $surge := div (add (mul $max 25) 99) 100 -}}
{{- $pods = add $pods $max $surge -}}
{{- $detail = append $detail (printf "%s %d+%d" $c.appId $max $surge) -}}
{{- end -}}
{{- end -}}
{{- $migrator := int .Values.migrator.maxPoolSize -}}
{{- $budget := int $db.maxConnections -}}
{{- $share := div (sub $budget $migrator) (max $pods 1) -}}
{{- $pool := min $share (int $db.maxPoolSize) -}}
{{- if lt $pool (int $db.minPoolSize) -}}
{{- fail (printf "connection budget: database.maxConnections=%d, minus the migrator's %d, over %d service pods at most (%s; autoscaler maxReplicas + rollout surge) leaves a pool of %d per pod, below database.minPoolSize=%d. Raise database.maxConnections (the server's max_connections minus its reserved connections), lower the autoscalers' maxReplicas, or put PgBouncer in front (chart README, \"Connection budget\")" $budget $migrator $pods (join ", " $detail) $share (int $db.minPoolSize)) -}}
{{- end -}}
pool: {{ $pool }}
pods: {{ $pods }}
budget: {{ $budget }}
migrator: {{ $migrator }}
detail: {{ join ", " $detail | quote }}
{{- end -}}
