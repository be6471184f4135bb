#!/usr/bin/env bash
# `make engine`: puts the pinned Pulumi engine in .tools/bin and prints where it is.
#
# A `pulumi` on PATH of at least the pinned version is used as it is (an ordinary Pulumi install
# needs no Go). Otherwise the CLI is built from the Go module proxy with this folder's go.mod and
# go.sum (checked against the Go checksum database), next to the project's own language host and
# the two scripts in engine/bin. A second run with nothing changed only compares a fingerprint.
#
# A build prints one line per phase with its time (downloading modules, building pulumi, building
# the language host). Go's own output (on a cold cache some 250 `go: downloading` lines) goes to
# .tools/engine-build.log, which is printed, and named, only when a phase fails.
set -euo pipefail
engine_dir=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$engine_dir")
tools="$root/.tools/bin"
pinned=$(awk '$1 == "github.com/pulumi/pulumi/pkg/v3" { sub(/^v/, "", $2); print $2 }' "$engine_dir/go.mod")
[ -n "$pinned" ] || { echo "engine/go.mod does not pin github.com/pulumi/pulumi/pkg/v3" >&2; exit 1; }
go_needed=$(awk '$1 == "go" { print $2; exit }' "$engine_dir/go.mod")

# Neither a usable CLI nor a Go to build one: say how to get either, then stop.
no_engine() { # $1: why the build cannot run
    {
        echo "engine: $1."
        echo "  Either install Go $go_needed or newer (https://go.dev/dl/) and run \`make engine\` again,"
        echo "  or install the Pulumi CLI v$pinned (or newer) from https://www.pulumi.com/docs/install/"
        echo "  and put it on PATH."
    } >&2
    exit 1
}

at_least_pinned() { # $1: a version such as v3.276.0
    local version=${1#v}
    [ "$(printf '%s\n%s\n' "$pinned" "$version" | sort -V | head -n 1)" = "$pinned" ]
}

if installed=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$tools" | paste -sd: -) command -v pulumi); then
    version=$(PULUMI_SKIP_UPDATE_CHECK=true "$installed" version 2>/dev/null || true)
    if [ -n "$version" ] && at_least_pinned "$version"; then
        echo "engine: using $installed ($version, at least the pinned v$pinned); nothing built"
        exit 0
    fi
    echo "engine: $installed is ${version:-of unknown version}, older than the pinned v$pinned; building v$pinned"
fi

command -v go >/dev/null || no_engine "no pulumi >= v$pinned on PATH and no Go to build one"
go_version=$(go env GOVERSION 2>/dev/null || true)
go_version=${go_version#go}
if [ -z "$go_version" ] || [ "$(printf '%s\n%s\n' "$go_needed" "$go_version" | sort -V | head -n 1)" != "$go_needed" ]; then
    # Go 1.21+ fetches the toolchain go.mod asks for unless GOTOOLCHAIN=local; older Go cannot.
    toolchain=$(go env GOTOOLCHAIN 2>/dev/null || true)
    if [ -z "$go_version" ] || [ -z "$toolchain" ] || [ "$toolchain" = local ]; then
        no_engine "Go ${go_version:-of unknown version} is older than the go $go_needed engine/go.mod needs${toolchain:+ (GOTOOLCHAIN=$toolchain)}"
    fi
    echo "engine: Go $go_version will fetch the go$go_needed toolchain engine/go.mod asks for (GOTOOLCHAIN=$toolchain)"
fi

fingerprint=$( { go version; cat "$engine_dir/go.mod" "$engine_dir/go.sum" "$engine_dir"/langhost/*.go "$engine_dir"/bin/*; } | sha256sum | cut -d' ' -f1)
stamp="$tools/.engine-fingerprint"
if [ -x "$tools/pulumi" ] && [ -x "$tools/pulumi-language-python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$fingerprint" ]; then
    echo "engine: $tools/pulumi is up to date (v$pinned)"
    exit 0
fi

mkdir -p "$tools"
rm -f "$stamp"
log="$root/.tools/engine-build.log"
: > "$log"
started=$(date +%s)

# One phase: "engine: <what> … <seconds> s" on one line (the first half printed as it starts), the
# command's output appended to the log; on failure the whole log on stderr, and its name.
phase() { # $1: what the line says; the rest: the command
    local what=$1 began
    shift
    began=$(date +%s)
    printf 'engine: %s … ' "$what"
    printf '== %s: %s\n' "$what" "$*" >> "$log"
    if "$@" >> "$log" 2>&1; then
        echo "$(( $(date +%s) - began )) s"
        return
    fi
    echo "failed after $(( $(date +%s) - began )) s"
    {
        echo "engine: the Go log of this build ($log):"
        cat "$log"
        echo "engine: $what failed; the log above is kept in $log"
    } >&2
    exit 1
}

# `go list -deps` loads every package the two builds compile, so it fetches (and checks against
# go.sum) exactly the modules they need, and nothing is left to download while building.
download_modules() {
    go list -mod=readonly -deps "$@" > /dev/null
}

cd "$engine_dir"
export CGO_ENABLED=0 # for the list too: cgo decides which files, so which imports, a package has
cli=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$pinned"
echo "engine: building the Pulumi CLI v$pinned from the Go module proxy (several minutes on a cold cache; Go's log: $log)"
phase "downloading modules" download_modules "$cli" ./langhost
phase "building pulumi" go build -mod=readonly -trimpath -ldflags "$ldflags" -o "$tools/pulumi" "$cli"
phase "building the language host" go build -mod=readonly -trimpath -ldflags "$ldflags" -o "$tools/pulumi-language-python" ./langhost
install -m 0755 "$engine_dir"/bin/* "$tools/"
echo "$fingerprint" > "$stamp"
echo "engine: done: $tools/pulumi ($("$tools/pulumi" version)) in $(( $(date +%s) - started )) s"
