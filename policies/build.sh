#!/bin/sh
# Usage: policies/build.sh [OUTDIR]
# Builds every policy under policies/ (each directory holding a main package) into
# OUTDIR/<dir>.wasm; OUTDIR defaults to policies/builtin/wasm, the built-in policies embedded in
# the portico binary.
# The build is reproducible: the same sources and Go toolchain give the same bytes, which
# TestBuiltinsUpToDate in policies/builtin checks. Run from anywhere; usually through `make policies`.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "${1:-$root/policies/builtin/wasm}"
out=$(cd "${1:-$root/policies/builtin/wasm}" && pwd)
cd "$root"

for dir in policies/*/; do
	name=$(basename "$dir")
	# A policy is a main package; builtin (the host-side embedder) and others are skipped.
	# -buildvcs=false keeps the commit and the dirty flag out of the bytes.
	grep -qs '^package main$' "$dir"*.go || continue
	echo "building $out/$name.wasm"
	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -buildvcs=false \
		-ldflags='-s -w -buildid=' -o "$out/$name.wasm" "./$dir"
done
