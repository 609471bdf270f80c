"""What a command loads when it starts: the apps' start-up registrations must not bring the
event engines (DuckDB, numpy, pyarrow) to a command that does not use them (about half a
second of every command's start)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys
from tobloop.cli import main
sys.argv = ["tobloop", "workspace", "list", "--json"]
try:
    main()
except SystemExit:
    pass
heavy = sorted(m for m in ("duckdb", "numpy", "pyarrow", "pandas", "numba") if m in sys.modules)
print(json.dumps({"heavy": heavy}))
"""


def test_a_command_that_reads_no_events_starts_without_the_event_engines(tmp_path: Path) -> None:
    env = {**os.environ, "TOBLOOP_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert json.loads(lines[-1]) == {"heavy": []}
    assert json.loads("\n".join(lines[:-1]))["items"] == []  # the command itself answered


def test_running_the_app_module_prints_no_runpy_warning(tmp_path: Path) -> None:
    """``python -m tobloop.cli.app`` (how the tests and benchmarks call the CLI) runs the module
    once: the package does not import it first."""
    env = {**os.environ, "TOBLOOP_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-m", "tobloop.cli.app", "workspace", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "RuntimeWarning" not in out.stderr
    assert json.loads(out.stdout)["items"] == []


IMPORT_PROBE = """
import json, sys
from tobloop.cli import main
sys.argv = ["tobloop", "import", "events", sys.argv[1], "--json"]
try:
    main()
except SystemExit:
    pass
print(json.dumps({"pyarrow": "pyarrow" in sys.modules}))
"""


def test_importing_events_does_not_load_the_query_engines(tmp_path: Path) -> None:
    """The import stores through DuckDB; the query engines' pyarrow (about 0.1 s) is not
    loaded for it."""
    env = {**os.environ, "TOBLOOP_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    made = subprocess.run(
        [sys.executable, "-m", "tobloop.cli.app", "workspace", "create", "Acme", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    history = tmp_path / "history.ndjson"
    history.write_text(
        '{"type": "track", "event": "E", "userId": "u", "messageId": "m1",'
        ' "timestamp": "2025-01-01T00:00:00.000Z"}\n'
    )
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE, str(history)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert json.loads(lines[-1]) == {"pyarrow": False}
    assert json.loads("\n".join(lines[:-1]))["created"] == 1  # the import itself ran
