#!/usr/bin/env bash
# Creates or refreshes the Python virtualenv of the peers (conformance-tests/.venv)
# from requirements.txt: installs only when requirements.txt is newer than the
# last install, so a second run does nothing and needs no network. Used by
# run-local.sh and by the Rust tests that drive Python peers (pyHanko, in
# crates/urna-cert/tests/it). Serialised with flock: test processes may call it
# at the same time. Exits non-zero if the venv cannot be made (e.g. offline).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
mkdir -p "$venv"
exec 9>"$venv/.lock"
flock 9
if [ ! -x "$venv/bin/pytest" ] || [ "$here/requirements.txt" -nt "$venv/.requirements" ]; then
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$here/requirements.txt"
  touch "$venv/.requirements"
fi
