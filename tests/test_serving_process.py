"""A serving process's runtime settings, checked in a process of its own (the WSGI module
loads the whole application, as a granian worker does)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tobloop.config.process import YOUNG_THRESHOLD

PROBE = """
import gc, json
default = gc.get_threshold()
import tobloop.config.wsgi
print(json.dumps({"default": default, "now": gc.get_threshold(), "frozen": gc.get_freeze_count()}))
"""


def test_the_wsgi_worker_freezes_its_startup_objects_out_of_the_collector(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tobloop.config.settings",
        "TOBLOOP_DATA_DIR": str(tmp_path),
        "TOBLOOP_INGEST_LOADER": "0",
    }
    env.pop("DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["default"][0] == 700
    assert found["now"] == [YOUNG_THRESHOLD, *found["default"][1:]]
    assert found["frozen"] > 50_000  # Django and the app, loaded before the freeze
