"""zh-Hans in the Django admin: Kefu's catalogue must not override Django's own translations
(an ambiguous word of Kefu's gets a pgettext context instead), and the admin names every app
and the site in Chinese."""
import gettext
import importlib.util
import re
from pathlib import Path

import django
import pytest
from django.utils import translation

KEFU_MO = Path(__file__).resolve().parents[2] / "src/kefu/locale/zh_Hans/LC_MESSAGES/django.mo"
OTHERS = [Path(django.__file__).parent] + [Path(importlib.util.find_spec(n).origin).parent
                                            for n in ("axes", "django_tasks_db", "ninja")]


# Kefu's deliberate corrections: Chinese typography for Django's label suffix (状态：).
DELIBERATE = {":", ":?.!"}


def _catalog(path):
    with open(path, "rb") as f:
        return gettext.GNUTranslations(f)._catalog


def test_our_catalogue_does_not_override_django_or_third_party_translations():
    others = {}
    for root in OTHERS:
        for mo in root.glob("**/locale/zh_Hans/LC_MESSAGES/*.mo"):
            for msgid, msgstr in _catalog(mo).items():
                others.setdefault(msgid, set()).add(msgstr)
    kefu = _catalog(KEFU_MO)
    overridden = {k: (v, others[k]) for k, v in kefu.items() if k and k in others and v not in others[k]
                  and k not in DELIBERATE}
    assert overridden == {}


@pytest.fixture
def admin_client(client, make_user):
    user = make_user("administrator", None, "root")
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


def _zh(client, path):
    with translation.override("zh-hans"):
        r = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 200, path
    return r.content.decode()


@pytest.mark.django_db
def test_admin_reads_as_djangos_own_zh_hans(admin_client):
    index = _zh(admin_client, "/admin/")
    edit_links = re.findall(r'class="changelink"[^>]*>([^<]*)', index)
    assert edit_links and set(edit_links) == {"修改"}
    assert "Django" not in index.split("<body")[1].split("<main")[0]  # Kefu's own header, not "Django 管理"
    text = re.sub(r"<[^>]+>", " ", index).lower()
    for english in ("access attempts", "task results", "axes", "tasks database backend"):
        assert english not in text, english


@pytest.mark.django_db
def test_admin_changelists_have_no_kefu_word_in_djangos_place(admin_client):
    outbox = _zh(admin_client, "/admin/contacts/smsmessage/")
    assert "新状态" not in outbox
    orders = _zh(admin_client, "/admin/orders/workorder/")
    assert "Filter by" not in orders
