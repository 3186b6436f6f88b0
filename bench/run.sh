#!/usr/bin/env bash
# Run a TypeScript benchmark: bundle it with esbuild (no TS loader needed),
# then run the bundle with the Node 20 polyfill. Extra arguments go to the
# benchmark.   Usage: bench/run.sh bench/envelope.ts [args...]
set -euo pipefail
if [ $# -lt 1 ]; then
	echo "usage: $0 bench/<name>.ts [args...]" >&2
	exit 2
fi
src="$(realpath "$1")"
cd "$(dirname "$0")/.."
mkdir -p bench/.build
# Inside the repo, so the external classic-level resolves from node_modules.
out="bench/.build/$(basename "$1" .ts).mjs"
npx esbuild "$src" --bundle --platform=node --format=esm --target=node20 \
	--outfile="$out" --external:classic-level --log-level=warning \
	--banner:js="import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);"
node --import ./node/polyfill.js "$out" "${@:2}"
