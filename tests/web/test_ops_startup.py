"""A small command starts without the heavy modules: Django's set-up (every app and its
models, admin, checks and URLs) must not import the classifier's numerical libraries or the
Chinese segmenter; they load when a text is first classified or segmented."""

import json
import os
import subprocess
import sys

HEAVY = ("numpy", "scipy", "sklearn", "joblib", "rjieba")

START = """
import json, sys
import django
django.setup()
from django.core.management import get_commands, load_command_class
load_command_class(get_commands()["token"], "token")
import kefu.urls
from django.core import checks
checks.run_checks()
print(json.dumps(sorted(sys.modules)))
"""


def test_setup_a_command_and_the_urls_load_no_heavy_module(tmp_path):
    env = os.environ | {"KEFU_DATA_DIR": str(tmp_path), "DATABASE_URL": "", "DJANGO_SETTINGS_MODULE": "kefu.settings"}
    done = subprocess.run([sys.executable, "-c", START], env=env, capture_output=True, text=True, timeout=60, check=True)
    modules = json.loads(done.stdout.splitlines()[-1])
    assert "kefu.orders.models" in modules and "kefu.api" in modules
    assert [m for m in modules if m.split(".")[0] in HEAVY] == []
