#!/bin/sh
# Brings the project's own Node.js 24 and dependencies when they are missing or older than the lockfile.
# Runs on the machine's stock Node/npm (any version that can run npm ci).
set -e
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/node ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "envsnap setup: installing dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi
