"""The vendored browser libraries are served by Kefu itself (decision 0016): whitenoise finds
them in the package through the static finders, with no collectstatic step and no CDN."""

from pathlib import Path

import pytest

import kefu

VENDOR = Path(kefu.__file__).parent / "web" / "static" / "kefu" / "vendor"


@pytest.mark.parametrize("name", ["htmx.min.js", "echarts.min.js"])
def test_vendored_script_is_served_by_the_app(client, db, name):
    r = client.get(f"/static/kefu/vendor/{name}")
    assert r.status_code == 200
    assert r["Content-Type"].split(";")[0] == "text/javascript"
    assert "whitenoise" in type(r).__module__  # the middleware answered, not a Django view
    body = b"".join(r.streaming_content)
    r.close()
    assert body == (VENDOR / name).read_bytes()


def test_every_vendored_script_has_its_licence_and_is_listed():
    readme = (VENDOR / "README.md").read_text()
    assert sorted(p.name for p in VENDOR.glob("*.js")) == ["echarts.min.js", "htmx.min.js"]
    for script, licence in [("htmx.min.js", "htmx.LICENSE"), ("echarts.min.js", "echarts.LICENSE")]:
        assert (VENDOR / licence).stat().st_size > 0
        assert f"`{script}`" in readme and f"`{licence}`" in readme


def test_a_missing_static_file_is_a_plain_404(client, db):
    assert client.get("/static/kefu/vendor/nothing-here.js").status_code == 404
