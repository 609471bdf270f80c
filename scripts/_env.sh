# Shared set-up for scripts/demo and scripts/test: a virtualenv in .venv with tobloop installed.
# Re-installs only when pyproject.toml changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"

ensure_venv() {
  local extras="$1" stamp want
  if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip >/dev/null 2>&1 || true
  fi
  stamp="$VENV/.tobloop-installed"
  want="$(sha256sum pyproject.toml | cut -c1-16)-$extras"
  # A dev install also serves the demo; a plain one does not serve the tests.
  if [ -f "$stamp" ] && { grep -qx -- "$want" "$stamp" || { [ -z "$extras" ] && grep -q -- "^${want}" "$stamp"; }; }; then
    :
  else
    echo "Installing tobloop${extras:+ [$extras]} into .venv (first run takes a few minutes)…" >&2
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -e ".${extras:+[$extras]}" 2>&1 \
      | grep -v "is ignored: it is neither a file nor a directory" >&2 || true
    "$VENV/bin/python" -c "import tobloop.cli, django, duckdb" \
      || { echo "installation failed" >&2; exit 1; }
    echo "$want" > "$stamp"
  fi
  # Byte-compile the sources now (only what changed), so that every process started later
  # (the CLI, the server's workers, the tests' servers) reads them compiled, even where
  # PYTHONDONTWRITEBYTECODE keeps Python from caching them itself: about 0.25 s per start.
  "$VENV/bin/python" -m compileall -q -j 0 src >/dev/null || true
  export PATH="$VENV/bin:$PATH"
}
