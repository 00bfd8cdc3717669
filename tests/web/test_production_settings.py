"""The README's production block is what `kefu check --deploy` passes with: the test reads the
block from the README, so the documentation cannot drift from the settings."""

import base64
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def production_env() -> dict:
    """The variables of the README's `# production.env` block, example placeholders filled in."""
    block = re.search(r"```sh\n# production\.env[^\n]*\n(.*?)```", README.read_text(), re.S)
    assert block, "README.md lost its production.env block"
    env = {}
    for line in block.group(1).splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, value = line.split("=", 1)
            env[name] = value
    env["KEFU_SECRET_KEY"] = secrets.token_urlsafe(50)
    for name, key_id in (("KEFU_FIELD_KEYS", "k1"), ("KEFU_AUDIT_KEYS", "a1")):
        env[name] = f"{key_id}:" + base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
    return env


def deploy_check(env: dict, tmp_path) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_") and k != "DATABASE_URL"}
    return subprocess.run([sys.executable, "-m", "kefu.cli", "check", "--deploy"], capture_output=True, text=True,
                          env={**base, **env, "KEFU_DATA_DIR": str(tmp_path)}, timeout=120)


@pytest.mark.parametrize("name", ["KEFU_SECRET_KEY", "KEFU_ALLOWED_HOSTS", "KEFU_HTTPS", "DATABASE_URL", "KEFU_FIELD_KEYS",
                                  "KEFU_AUDIT_KEYS", "KEFU_AUDIT_ANCHOR_FILE"])
def test_the_block_sets(name):
    assert name in production_env()


def test_the_deployment_check_passes_with_the_readme_block(tmp_path):
    r = deploy_check(production_env(), tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "System check identified no issues" in r.stdout, r.stdout + r.stderr


def test_without_https_the_check_warns(tmp_path):
    env = production_env()
    del env["KEFU_HTTPS"]
    r = deploy_check(env, tmp_path)
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in r.stdout + r.stderr
