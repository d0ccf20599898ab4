# shellcheck shell=bash
# Sourced by the action's step scripts (ci/github/*.sh).

# Print PATH without empty or relative entries (the current directory) and
# without any directory inside $1 (the checkout): nothing the pull request
# committed is ever resolved as a command, the external kustomize included.
mg_clean_path() {
  local ws="$1" out="" d
  local -a dirs
  IFS=: read -r -a dirs <<< "$PATH"
  for d in "${dirs[@]}"; do
    case "$d" in "" | [!/]* | "$ws" | "$ws"/*) continue ;; esac
    out="${out:+$out:}$d"
  done
  printf '%s' "$out"
}
