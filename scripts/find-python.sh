#!/usr/bin/env bash
# Prints the path of a Python >= 3.12 (Django 6 needs it), or explains and exits 1.
# pyenv shims for python3.12/3.13 exist but refuse to run unless their version is
# selected, so each candidate is tried for real, then pyenv's versions directly.
set -u
try() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1 && { command -v "$1" 2>/dev/null || echo "$1"; exit 0; }; }
[ -n "${PYTHON:-}" ] && try "$PYTHON"
for c in python3.13 python3.12 python3; do try "$c"; done
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for c in "$root"/versions/3.13*/bin/python3.13 "$root"/versions/3.12*/bin/python3.12 /usr/bin/python3.1[2-9] /usr/local/bin/python3.1[2-9]; do
  [ -x "$c" ] && try "$c"
done
echo "ERROR: no Python 3.12 or newer found (Django 6 needs it). Install python3.12 or python3.13, or set PYTHON=/path/to/python3.12." >&2
exit 1
