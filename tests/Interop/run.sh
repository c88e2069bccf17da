#!/usr/bin/env bash
# The interop client: installs what it needs (node and npm from Debian's packages when missing and run as root;
# the pinned npm packages by `npm ci`, git-ignored node_modules), then runs interop.mjs against the gateway named by
# MEDINS_GATEWAY (host:port) with MEDINS_API_KEY. tests/EndToEnd.Tests/InteropClientTests.cs runs it against the real
# platform; against `./platform up`: MEDINS_GATEWAY=127.0.0.1:5100 tests/Interop/run.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "installing node and npm (Debian packages nodejs, npm)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  command -v node >/dev/null && command -v npm >/dev/null || {
    echo "error: node (>= 18) and npm are required for the interop client; install Debian's nodejs and npm" >&2
    exit 1
  }
fi

cd "$HERE"
# npm ci only when the lock changed since the last install (it wipes node_modules each time). A lock held while
# installing, so two runs at once do not install over each other.
exec 9>"$HERE/.install.lock"
flock 9
stamp="node_modules/.medins-lock.sha256"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi
flock -u 9
exec node interop.mjs
