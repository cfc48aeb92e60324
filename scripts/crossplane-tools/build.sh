#!/usr/bin/env bash
# Builds the real Crossplane tools the tests use as their oracle, once, into
# .tools/crossplane/ (git-ignored), from the Go module proxy:
#
#   crossplane       the CLI (github.com/crossplane/cli/v2): `composition render`, `resource validate`
#   crossplane-core  the core (github.com/crossplane/crossplane/v2): `internal render` runs the real
#                    XR reconciler against an in-memory client; the CLI calls it through --crossplane-binary
#   admission-check  ours (admission-check/main.go): the API server's ValidatingAdmissionPolicy
#                    evaluator (k8s.io/apiserver), so tests evaluate the CEL the Environment renders
#   promql-names     ours (promql-names/main.go): Prometheus' own PromQL parser, so the dashboards
#                    test reads the metric names of its queries as Prometheus does
#   validate-cache/  Crossplane's own CRDs from the core module, where `resource validate` looks for
#                    them, so validation never downloads the Crossplane image
#
# Versions are pinned by the go.mod/go.sum beside this script. A tool is rebuilt only when its
# go.mod, go.sum or (for ours) Go source changed since it was built. `go install` refuses the core module (its go.mod
# replaces its own apis module), hence a small module of ours that requires it.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: npm run crossplane-tools   (or: bash scripts/crossplane-tools/build.sh)

Builds the real Crossplane CLI (crossplane), core (crossplane-core) and our
admission-check and promql-names from the Go module proxy into .tools/crossplane/ (or
$CROSSPLANE_TOOLS_DIR), at the versions pinned by the go.mod/go.sum files beside
this script. A no-op once they are built; the first build takes several minutes
and needs Go 1.26 or newer.

Flags:
  -h, --help   Show this help.
USAGE
}
case "${1-}" in
  -h | --help) usage; exit 0 ;;
  "") ;;
  *) echo "crossplane-tools: unknown argument \"$1\"" >&2; echo >&2; usage >&2; exit 2 ;;
esac

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${CROSSPLANE_TOOLS_DIR:-$root/.tools/crossplane}"

if ! command -v go >/dev/null 2>&1; then
  echo "crossplane-tools: Go is required to build the Crossplane CLI and core the tests run (Go 1.26 or newer)" >&2
  exit 1
fi

export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
mkdir -p "$out"
# One build at a time: a second caller waits, then finds the tools built.
exec 9>"$out/.lock"
flock 9

stamp_of() { cat "$here/$1/go.mod" "$here/$1/go.sum" "$here/$1"/*.go 2>/dev/null | sha256sum | cut -d' ' -f1; }

# build <dir> <module the version is reported for> <binary> [package to build, default <module>/cmd/crossplane]
build() {
  local dir="$1" package="$2" binary="$3" target="${4:-$2/cmd/crossplane}"
  local stamp
  stamp="$(stamp_of "$dir")"
  if [ -x "$out/$binary" ] && [ "$(cat "$out/$binary.stamp" 2>/dev/null)" = "$stamp" ]; then
    return 0
  fi
  echo "crossplane-tools: building $binary ($(grep -m1 "$package" "$here/$dir/go.mod" | awk '{print $NF}')); the first build takes several minutes" >&2
  (cd "$here/$dir" && go build -trimpath -o "$out/$binary.new" "$target")
  mv "$out/$binary.new" "$out/$binary"
  echo "$stamp" >"$out/$binary.stamp"
}

build core github.com/crossplane/crossplane/v2 crossplane-core
build cli github.com/crossplane/cli/v2 crossplane
build admission-check k8s.io/apiserver admission-check .
build promql-names github.com/prometheus/prometheus promql-names .

# Crossplane's built-in CRDs (Usage, EnvironmentConfig, ...) at the core's version, laid out as
# `resource validate` caches the Crossplane image: <cache>/<image with ':' as '@'>/package.yaml.
core_version="$(cd "$here/core" && go list -m -f '{{.Version}}' github.com/crossplane/crossplane/v2)"
core_dir="$(cd "$here/core" && go list -m -f '{{.Dir}}' github.com/crossplane/crossplane/v2)"
cache="$out/validate-cache/xpkg.crossplane.io/crossplane/crossplane@$core_version"
if [ ! -s "$cache/package.yaml" ]; then
  mkdir -p "$cache"
  for crd in "$core_dir"/cluster/crds/*.yaml; do
    cat "$crd"
    printf '\n---\n'
  done >"$cache/package.yaml.new"
  mv "$cache/package.yaml.new" "$cache/package.yaml"
fi
echo "$core_version" >"$out/core-version"
