from django.core.management import call_command


def test_healthz_reports_database(client, db):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["database"] == "ok"


def test_landing_page_needs_login_and_shows_counts(client, agent, order):
    assert client.get("/").status_code == 302
    r = client.post("/login/", {"username": "agent", "password": "pw"})
    assert r.status_code == 302
    page = client.get("/").content.decode()
    assert "open orders I own" in page


def test_landing_page_speaks_chinese(client, agent):
    client.force_login(agent)
    page = client.get("/", headers={"accept-language": "zh-CN"}).content.decode()
    assert "我负责" in page or "首问" in page


def test_migrations_are_complete(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
