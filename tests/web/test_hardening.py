"""Deployment hardening: password hashing and rules, sessions, headers, request size, and a
clean `kefu check --deploy` under the production settings."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from kefu.staff.models import User


def test_new_passwords_are_hashed_with_argon2():
    # The test settings swap in a fast hasher; the settings module itself has Argon2 first.
    import kefu.settings as real

    assert real.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_argon2_hashes_verify_and_old_pbkdf2_ones_still_do(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher",
                                 "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    from django.contrib.auth.hashers import make_password

    u = User.objects.create_user("x", password="Kefu-2026-secret")
    assert u.password.startswith("argon2$") and u.check_password("Kefu-2026-secret")
    u.password = make_password("Old-Pass-123", hasher="pbkdf2_sha256")
    u.save()
    assert u.check_password("Old-Pass-123")
    assert User.objects.get(pk=u.pk).password.startswith("argon2$")  # upgraded on use


@pytest.mark.parametrize("password", ["short1A!", "alllowercaseletters", "12345678901234", "password1234"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_mixed_long_password_passes():
    validate_password("Guangzhou-Hotline-2026")


def test_security_headers_and_session_settings(client, db):
    r = client.get("/healthz")
    assert r["X-Frame-Options"] == "DENY"
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Referrer-Policy"] == "same-origin"
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_SAVE_EVERY_REQUEST


@pytest.mark.parametrize("path", ["/login/", "/portal/login/", "/admin/login/"])
def test_pages_carry_a_content_security_policy_without_inline_code(client, db, path):
    policy = dict(d.strip().split(" ", 1) for d in client.get(path)["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == policy["style-src"] == policy["default-src"] == "'self'"
    assert (policy["object-src"], policy["base-uri"], policy["frame-ancestors"]) == ("'none'", "'none'", "'none'")
    assert "unsafe" not in " ".join(policy.values())


def _settings_in_a_subprocess(tmp_path, code, **env):
    env = os.environ | {"KEFU_DATA_DIR": str(tmp_path)} | env
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run([sys.executable, "-c", f"import kefu.settings as s; {code}"], env=env, capture_output=True, text=True,
                          timeout=60)


def test_the_policy_may_be_reported_only_or_left_to_a_proxy(tmp_path):
    done = _settings_in_a_subprocess(tmp_path, "print(bool(s.SECURE_CSP), bool(s.SECURE_CSP_REPORT_ONLY))", KEFU_CSP="report-only")
    assert done.stdout.split() == ["False", "True"], done.stderr
    done = _settings_in_a_subprocess(tmp_path, "print(bool(s.SECURE_CSP), bool(s.SECURE_CSP_REPORT_ONLY))", KEFU_CSP="off")
    assert done.stdout.split() == ["False", "False"], done.stderr
    done = _settings_in_a_subprocess(tmp_path, "pass", KEFU_CSP="strict")
    assert done.returncode != 0 and "KEFU_CSP must be" in done.stderr


def test_templates_hold_no_inline_code():
    """What the policy would block, caught before a browser sees it: inline scripts (data blocks
    of type application/json aside), event-handler attributes, style attributes and elements.
    The PIPL export document is the one exception: a file in its own right, with its own style
    sheet and a policy of its own (privacy.api.export_document)."""
    import re
    from pathlib import Path

    import kefu

    found = []
    for path in Path(kefu.__file__).parent.rglob("templates/**/*.html"):
        if path.match("privacy/export.html"):
            continue
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                found.append(f"{path.name}: {tag}")
        found += [f"{path.name}: {m}" for m in re.findall(r"\s(?:on[a-z]+|style)\s*=|<style\b", text)]
    assert found == []


def test_oversized_requests_are_refused(client, db):
    r = client.post("/login/", {"username": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10), "password": "y"})
    assert r.status_code == 400


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    env = os.environ | {"KEFU_HTTPS": "true", "KEFU_DEBUG": "false", "KEFU_DATA_DIR": str(tmp_path),
                        "KEFU_ALLOWED_HOSTS": "kefu.example.cn"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run([sys.executable, "-m", "kefu.cli", "check", "--deploy", "--fail-level", "WARNING"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_five_wrong_passwords_lock_the_username(client, agent, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/login/", {"username": "agent", "password": "wrong"}).status_code == 200  # the form again
    assert client.post("/login/", {"username": "agent", "password": "wrong"}).status_code == 429  # the last try locks
    r = client.post("/login/", {"username": "agent", "password": "pw"})
    assert r.status_code == 429 and "_auth_user_id" not in client.session  # even the right password
    # Another user, from the same address (one office NAT), is not affected.
    other = User.objects.create_user("agent2", password="pw")
    assert client.post("/login/", {"username": other.username, "password": "pw"}).status_code == 302


def test_a_success_resets_the_count(client, agent, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/login/", {"username": "agent", "password": "wrong"})
    assert client.post("/login/", {"username": "agent", "password": "pw"}).status_code == 302
    client.post("/logout/")
    client.post("/login/", {"username": "agent", "password": "wrong"})
    assert client.post("/login/", {"username": "agent", "password": "pw"}).status_code == 302
