#!/usr/bin/env bash
# Gate step of action.yml: choose base and head (inputs, else the event via
# `manifest-gate ci`), run `check`, write every report into a fresh directory
# under $RUNNER_TEMP, and set the step outputs. It never fails the step itself
# (the Verdict step does), so the comment is posted either way.
#
# Inputs (environment): MG_BIN, MG_BASE, MG_HEAD, MG_CONFIG, MG_ARGS, MG_SARIF,
# MG_FAIL_ON. The checked-out repository is only ever read through the binary
# (git objects) and `git cat-file`; nothing in it is executed, and no output
# path goes through it.
set -uo pipefail

die() {
  echo "::error title=manifest-gate::$*" >&2
  echo "exit-code=2" >> "$GITHUB_OUTPUT"
  echo "passed=false" >> "$GITHUB_OUTPUT"
  exit 0
}

: "${RUNNER_TEMP:?RUNNER_TEMP is not set}"
: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
repo="${GITHUB_WORKSPACE:?GITHUB_WORKSPACE is not set}"
bin="${MG_BIN:?MG_BIN is not set}"
case "$bin" in "$repo"/*) die "the manifest-gate binary resolves inside the workspace" ;; esac

# PATH without the workspace, relative or empty entries: an external kustomize
# (renderer auto/kustomize) is never resolved from inside the repository.
# shellcheck source=ci/github/lib.sh
. "${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}/ci/github/lib.sh"
PATH="$(mg_clean_path "$repo")"
export PATH

report="$(mktemp -d "$RUNNER_TEMP/manifest-gate-report.XXXXXX")" || die "cannot create the report directory"
echo "report-dir=$report" >> "$GITHUB_OUTPUT"
cd "$report" || die "cannot enter $report"

base="${MG_BASE:-}"
head="${MG_HEAD:-}"
if [ -z "$base" ] || [ -z "$head" ]; then
  if ! "$bin" ci --repo "$repo" --fetch --print > "$report/ci.txt" 2> "$report/ci.log"; then
    cat "$report/ci.log" >&2
    die "$(grep -m1 '^error: ' "$report/ci.log" || echo 'manifest-gate ci could not choose base and head')"
  fi
  cat "$report/ci.log" >&2
  [ -n "$base" ] || base="$(sed -n 's/^base=//p' "$report/ci.txt")"
  [ -n "$head" ] || head="$(sed -n 's/^head=//p' "$report/ci.txt")"
fi
echo "base=$base" >> "$GITHUB_OUTPUT"
echo "head=$head" >> "$GITHUB_OUTPUT"

# The configuration: a relative path is read from the base commit (the change
# cannot loosen its own gate); an absolute path must lie outside the checkout.
cfg=()
if [ -n "${MG_CONFIG:-}" ]; then
  case "$MG_CONFIG" in
    /*)
      real="$(realpath -e -- "$MG_CONFIG" 2> /dev/null)" || die "config '$MG_CONFIG' does not exist"
      case "$real" in "$repo" | "$repo"/*)
        die "config '$MG_CONFIG' is inside the pull request's checkout; give a path relative to the repository (read from the base commit) instead" ;;
      esac
      cfg=(--config "$real")
      ;;
    *)
      git -C "$repo" cat-file blob "$base:$MG_CONFIG" > "$report/config.yaml" 2> "$report/config.log" \
        || die "config '$MG_CONFIG' is not in the base commit $base"
      cfg=(--config "$report/config.yaml")
      ;;
  esac
fi
echo "config-file=${cfg[1]:-}" >> "$GITHUB_OUTPUT"

# shellcheck disable=SC2206 # MG_ARGS is split into arguments on purpose
extra=(${MG_ARGS:-})
run() { "$bin" check --repo "$repo" --base "$base" --head "$head" "${cfg[@]}" "${extra[@]}" "$@"; }

# One run renders every report (written even when the gate cannot decide):
# the text to the log, JSON, JUnit, SARIF and the annotations to report-dir,
# and (through the github format) the Markdown job summary to
# $GITHUB_STEP_SUMMARY.
outputs=(--output "json=$report/check.json" --output "junit=$report/junit.xml"
  --output "github=$report/annotations.txt")
if [ "${MG_SARIF:-true}" = "true" ]; then
  outputs+=(--output "sarif=$report/manifest-gate.sarif")
  echo "sarif-file=$report/manifest-gate.sarif" >> "$GITHUB_OUTPUT"
fi
run "${outputs[@]}" > "$report/check.txt" 2> "$report/check.log"
code=$?
cat "$report/check.txt" "$report/check.log"
# The annotations (workflow commands, escaped by the binary) on the step's log.
[ -f "$report/annotations.txt" ] && cat "$report/annotations.txt"

passed=false
touched=""
if [ "$code" -le 1 ] && jq -e . "$report/check.json" > /dev/null 2>&1; then
  passed="$(jq -r '.passed' "$report/check.json")"
  touched="$(jq -r '.touched_environments | join(",")' "$report/check.json")"
  if [ "$code" = 0 ] && [ "${MG_FAIL_ON:-error}" = "warning" ] \
    && [ "$(jq '[.violations[] | select(.severity == "warning")] | length' "$report/check.json")" != 0 ]; then
    echo "::warning title=manifest-gate::warnings fail the gate (fail-on: warning)"
    code=1
    passed=false
  fi
elif [ "$code" -ge 2 ]; then
  grep -m1 '^error: ' "$report/check.log" >&2 || true
fi
{
  echo "exit-code=$code"
  echo "passed=$passed"
  echo "touched-environments=$touched"
} >> "$GITHUB_OUTPUT"
exit 0
