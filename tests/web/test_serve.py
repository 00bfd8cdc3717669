"""`kefu serve` with several worker processes against PostgreSQL: every worker must have its
own database connection (a connection inherited across fork mixes up replies)."""

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.conf import settings
from django.db import connection

from kefu.staff.models import ApiToken


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_workers_do_not_share_a_connection(agent, order):
    _t, token = ApiToken.issue(agent)
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    port = _free_port()
    # The server reads the order's customer, whose identity fields need the test's key ring.
    env = os.environ | {"DATABASE_URL": url, "KEFU_FIELD_KEYS": settings.KEFU_FIELD_KEYS}
    server = subprocess.Popen([sys.executable, "-m", "kefu.cli", "serve", "--port", str(port), "--workers", "3", "--no-worker"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        headers = {"Authorization": f"Bearer {token}"}

        def fetch(_):
            return httpx.get(f"{base}/api/v1/orders/{order.pk}", headers=headers, timeout=10).status_code

        with ThreadPoolExecutor(6) as pool:
            statuses = list(pool.map(fetch, range(60)))
        assert statuses == [200] * 60
    finally:
        server.terminate()
        server.wait(30)



@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_server_opens_no_control_socket_shared_by_the_host(tmp_path):
    """gunicorn's default control socket is ~/.gunicorn/gunicorn.ctl (or in XDG_RUNTIME_DIR),
    one per user: a second Kefu took it over and stopping either deleted it for both. Kefu's
    server creates none."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"} | {
        "DATABASE_URL": url, "KEFU_FIELD_KEYS": settings.KEFU_FIELD_KEYS, "HOME": str(home),
        "KEFU_DATA_DIR": str(tmp_path / "data")}
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "kefu.cli", "serve", "--port", str(port), "--workers", "1", "--no-worker"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code in (200, 503):
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("the server did not answer")
        assert not list(tmp_path.rglob("*.ctl"))
    finally:
        server.terminate()
        server.wait(30)
