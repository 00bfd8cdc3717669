"""No secrets in the repository: keys and tokens come from the environment or the data directory."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "API token": re.compile(r"kefu_[A-Za-z0-9_-]{40,}"),
    "field key ring": re.compile(r"KEFU_FIELD_KEYS=[A-Za-z0-9_-]+:[A-Za-z0-9_-]{43}"),
    "audit key ring": re.compile(r"KEFU_AUDIT_KEYS=[A-Za-z0-9_-]+:[A-Za-z0-9_-]{43}"),
    "secret key setting": re.compile(r"KEFU_SECRET_KEY=\S{20,}"),
}


def _tracked():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [p for p in out.decode().split("\0") if p]


def test_no_secret_files_or_values_are_tracked():
    tracked = _tracked()
    assert not [p for p in tracked if p.startswith("var/") or Path(p).name in {"secret_key", "field-keys", "audit-keys", ".env"}]
    found = []
    for path in tracked:
        file = ROOT / path
        if file.suffix in {".mo", ".joblib", ".png", ".jpg", ".woff2"} or not file.is_file():
            continue
        text = file.read_text(errors="ignore")
        found += [(path, what) for what, pattern in PATTERNS.items() if pattern.search(text)]
    assert found == []
