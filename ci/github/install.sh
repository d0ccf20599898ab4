#!/usr/bin/env bash
# Install steps of action.yml (`install.sh release`, then `install.sh build`):
# put the manifest-gate binary of the action's own ref under $RUNNER_TEMP and
# print `bin=<path>` to $GITHUB_OUTPUT. Nothing from the checked-out repository
# is read or run:
#   1. a prebuilt binary from the action repository's release matching the
#      action's ref, verified against that release's SHA256SUMS (a mismatch or
#      a missing checksum fails the step: it never falls back);
#   2. where no release asset fits (a branch or commit ref, another platform),
#      a build of the action's own source ($GITHUB_ACTION_PATH) with the working
#      directory, CARGO_HOME, RUSTUP_HOME and RUSTUP_TOOLCHAIN pinned outside
#      the workspace, so the checkout's rust-toolchain.toml, .cargo/config.toml
#      and .cargo-home/ are never consulted. The build directory is cached
#      (actions/cache, between the two steps) by a hash of the action's source.
set -euo pipefail

die() { echo "::error title=manifest-gate install::$*" >&2; exit 2; }

: "${RUNNER_TEMP:?RUNNER_TEMP is not set}"
: "${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}"
: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
ws="${GITHUB_WORKSPACE:-/nonexistent-workspace}"
repo="${MG_ACTION_REPOSITORY:-${GITHUB_ACTION_REPOSITORY:-}}"
ref="${MG_ACTION_REF:-${GITHUB_ACTION_REF:-}}"
server="${MG_SERVER_URL:-${GITHUB_SERVER_URL:-https://github.com}}"

# shellcheck source=ci/github/lib.sh
. "$GITHUB_ACTION_PATH/ci/github/lib.sh"
PATH="$(mg_clean_path "$ws")"
export PATH

work="$(mktemp -d "$RUNNER_TEMP/manifest-gate-install.XXXXXX")"
cd "$work"
mkdir -p "$work/bin"

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64 | Linux/amd64) target=x86_64-unknown-linux-gnu ;;
  Linux/aarch64 | Linux/arm64) target=aarch64-unknown-linux-gnu ;;
  *) target="" ;;
esac

from_release() {
  local asset="manifest-gate-$target.tar.gz" url
  url="$server/$repo/releases/download/$ref"
  local code
  code="$(curl -sS -L --retry 3 -o "$work/$asset" -w '%{http_code}' "$url/$asset" || true)"
  if [ "$code" != "200" ]; then
    echo "manifest-gate: no release asset $asset for $repo@$ref (HTTP $code)"
    return 1
  fi
  curl -fsS -L --retry 3 -o "$work/SHA256SUMS" "$url/SHA256SUMS" \
    || die "release $ref has $asset but no SHA256SUMS: refusing an unverified binary"
  local want got
  want="$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1 }' "$work/SHA256SUMS")"
  [ -n "$want" ] || die "SHA256SUMS of release $ref has no line for $asset"
  got="$(sha256sum "$work/$asset" | awk '{ print $1 }')"
  [ "$want" = "$got" ] || die "checksum mismatch for $asset of release $ref (want $want, got $got)"
  tar -xzf "$work/$asset" -C "$work/bin" --no-same-owner --no-same-permissions manifest-gate \
    || die "$asset does not contain manifest-gate"
  chmod 0755 "$work/bin/manifest-gate"
  echo "manifest-gate: installed the release binary $asset of $repo@$ref (sha256 $got)"
}

# The cache key of a source build: the action's manifest, lock file and
# sources, the toolchain and the platform.
source_key() {
  (cd "$GITHUB_ACTION_PATH" && find Cargo.toml Cargo.lock src -type f -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum) \
    | { cat; echo "${MG_RUST_TOOLCHAIN:-stable} $(uname -s) $(uname -m)"; } \
    | sha256sum | awk '{ print $1 }'
}

from_source() {
  local build="$RUNNER_TEMP/manifest-gate-build" key
  key="${MG_SOURCE_KEY:-$(source_key)}"
  if [ -x "$build/bin/manifest-gate" ] && [ "$(cat "$build/source-key" 2> /dev/null)" = "$key" ]; then
    echo "manifest-gate: using the cached build of the action's source (key $key)"
    echo "bin=$build/bin/manifest-gate" >> "$GITHUB_OUTPUT"
    return 0
  fi
  local cargo="${HOME:-/nonexistent}/.cargo/bin/cargo"
  [ -x "$cargo" ] || cargo="$(command -v cargo || true)"
  [ -n "$cargo" ] || die "no release binary fits and cargo is not installed to build one"
  case "$cargo" in "$ws"/*) die "cargo resolves inside the workspace ($cargo)" ;; esac
  mkdir -p "$build/bin" "$build/cargo-home"
  cd "$build"
  export CARGO_HOME="$build/cargo-home"
  export RUSTUP_HOME="${RUSTUP_HOME:-${HOME:-/nonexistent}/.rustup}"
  case "$RUSTUP_HOME" in "$ws" | "$ws"/*) RUSTUP_HOME="${HOME:-/nonexistent}/.rustup" ;; esac
  export RUSTUP_TOOLCHAIN="${MG_RUST_TOOLCHAIN:-stable}"
  export CARGO_TARGET_DIR="$build/target"
  unset RUSTC RUSTC_WRAPPER RUSTFLAGS CARGO_BUILD_RUSTC CARGO_BUILD_RUSTC_WRAPPER CARGO_ENCODED_RUSTFLAGS
  echo "manifest-gate: building the action's own source ($GITHUB_ACTION_PATH) with $RUSTUP_TOOLCHAIN in $build"
  "$cargo" build --locked --release --manifest-path "$GITHUB_ACTION_PATH/Cargo.toml" \
    || die "building manifest-gate from the action's source failed"
  cp "$CARGO_TARGET_DIR/release/manifest-gate" "$build/bin/manifest-gate"
  printf '%s\n' "$key" > "$build/source-key"
  "$build/bin/manifest-gate" --version
  echo "bin=$build/bin/manifest-gate" >> "$GITHUB_OUTPUT"
}

case "${1:-}" in
  release)
    if [ -n "$target" ] && [ -n "$repo" ] && [[ "$ref" =~ ^v[0-9][0-9A-Za-z.+-]*$ ]] && from_release; then
      "$work/bin/manifest-gate" --version
      printf 'bin=%s\nneed-build=false\n' "$work/bin/manifest-gate" >> "$GITHUB_OUTPUT"
    else
      echo "manifest-gate: no release binary of '${repo:-?}@${ref:-?}' for $(uname -s)/$(uname -m): building the action's source"
      {
        echo "need-build=true"
        echo "build-dir=$RUNNER_TEMP/manifest-gate-build"
        echo "source-key=$(source_key)"
      } >> "$GITHUB_OUTPUT"
    fi
    ;;
  build)
    if [ "${MG_NEED_BUILD:-}" = "true" ]; then
      from_source
    else
      echo "bin=${MG_RELEASE_BIN:?MG_RELEASE_BIN is not set}" >> "$GITHUB_OUTPUT"
    fi
    ;;
  *) die "usage: install.sh release|build" ;;
esac
