#!/usr/bin/env bash
# Chart checks: installs the pinned tools (Helm by helm.sh; promtool from Debian's prometheus package), then
# renders charts/medins-city with each values file, validates the objects and runs the promtool unit tests of its
# alert rules (rules/*.test.yaml).
# Prints 'N passed, N failed' last; exits non-zero on any failure.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
command -v node >/dev/null || { echo "error: node (>= 20) is required for the chart checks" >&2; exit 1; }

# promtool checks and unit-tests the chart's Prometheus rules. Only the package is installed; its service is not started.
if ! command -v promtool >/dev/null; then
  if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "installing promtool (Debian package prometheus)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  fi
  command -v promtool >/dev/null || {
    echo "error: promtool is required for the chart's rule tests; install Debian's prometheus package as root (apt-get install prometheus)" >&2
    exit 1
  }
fi

cd "$HERE"
HELM="$("$HERE/helm.sh")"
export HELM
# Helm keeps caches and config under HOME; keep them out of the user's.
export HELM_CACHE_HOME="$ROOT/.local/tools/helm-home/cache" HELM_CONFIG_HOME="$ROOT/.local/tools/helm-home/config" \
       HELM_DATA_HOME="$ROOT/.local/tools/helm-home/data"
exec node check-chart.mjs
