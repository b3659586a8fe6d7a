"""Airflow's plugin loader executes every .py under plugins/ as a top-level module named by its
stem; only the plugin itself may be loaded that way, never Tailor's modules under bare names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from tests.support.paths import REPO

PROBE = """
import json, sys
from pathlib import Path
from airflow import plugins_manager
plugins, errors = plugins_manager._get_plugins()
roots = [Path(p).resolve() for p in sys.argv[1:]]
bare = sorted(name for name, module in list(sys.modules.items())
              if (f := getattr(module, "__file__", None))
              and any(Path(f).resolve().is_relative_to(r) for r in roots)
              and name.split(".")[0] not in ("tailor", "tailor_airflow"))
print(json.dumps({"bare": bare, "plugins": [p.name for p in plugins], "errors": errors}))
"""


def test_the_plugin_loader_registers_no_tailor_module_under_a_bare_name():
    env = {
        **os.environ,
        "AIRFLOW_HOME": tempfile.mkdtemp(prefix="tailor-plugins-"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(REPO / "plugins"), str(REPO / "include")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded["errors"] == {} and loaded["plugins"] == ["tailor"], loaded
    assert loaded["bare"] == ["tailor_plugin"], loaded  # the plugin file alone
