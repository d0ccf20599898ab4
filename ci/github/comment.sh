#!/usr/bin/env bash
# Comment step of action.yml: post or update the sticky comment on the pull
# request (only `pull_request` events with a token), print `comment-url=`.
# A comment that cannot be posted (a fork's read-only token) is a warning: the
# verdict is the Verdict step's.
set -uo pipefail
: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
repo="${GITHUB_WORKSPACE:?GITHUB_WORKSPACE is not set}"
# shellcheck source=ci/github/lib.sh
. "${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}/ci/github/lib.sh"
PATH="$(mg_clean_path "$repo")"
export PATH
if [ -z "${MG_PR:-}" ] || [ -z "${MG_BASE:-}" ] || [ -z "${MG_HEAD:-}" ]; then
  echo "manifest-gate: no comment (pull request: ${MG_PR:-none}, base: ${MG_BASE:-none}, head: ${MG_HEAD:-none})"
  exit 0
fi
case "$MG_PR" in *[!0-9]*) echo "::warning title=manifest-gate::no comment: '$MG_PR' is not a pull request number"; exit 0 ;; esac
cd "${MG_REPORT_DIR:?MG_REPORT_DIR is not set}" || exit 0
cfg=()
[ -z "${MG_CONFIG_FILE:-}" ] || cfg=(--config "$MG_CONFIG_FILE")
# shellcheck disable=SC2206
extra=(${MG_ARGS:-})
if [ "${MG_COMMENT:-true}" != "true" ] || [ -z "${GITHUB_TOKEN:-}" ]; then
  # Not posting here (a fork's read-only token, or `comment: false`): leave the
  # body and the number in report-dir for a workflow_run workflow to post.
  env -u GITHUB_TOKEN "$MG_BIN" comment --forge github --dry-run --pr "$MG_PR" --repo "$repo" \
    --base "$MG_BASE" --head "$MG_HEAD" --report-file "$MG_REPORT_DIR/comment-full.md" \
    "${cfg[@]}" "${extra[@]}" > comment.md 2> comment.log
  printf '%s\n' "$MG_PR" > pr-number
  echo "manifest-gate: comment body written to $MG_REPORT_DIR/comment.md (not posted: comment ${MG_COMMENT:-}, token $([ -n "${GITHUB_TOKEN:-}" ] && echo set || echo empty))"
  exit 0
fi
# The full report (no size limit) beside the other reports; the comment points
# to it when it has to cut. Posted also when the gate could not decide.
"$MG_BIN" comment --forge github --pr "$MG_PR" --repo "$repo" --base "$MG_BASE" --head "$MG_HEAD" \
  --report-file "$MG_REPORT_DIR/comment-full.md" "${cfg[@]}" "${extra[@]}" > comment.log 2>&1
code=$?
cat comment.log
id="$(sed -n 's/^manifest-gate: \(created\|updated\) comment \([0-9][0-9]*\) .*/\2/p' comment.log | head -1)"
if [ -n "$id" ]; then
  echo "comment-url=${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/pull/$MG_PR#issuecomment-$id" >> "$GITHUB_OUTPUT"
elif [ "$code" -ge 2 ] && ! grep -q '^manifest-gate: \(created\|updated\)' comment.log; then
  echo "::warning title=manifest-gate::could not post the pull request comment (exit $code)"
fi
exit 0
