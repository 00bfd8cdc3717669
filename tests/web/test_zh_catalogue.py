"""The zh-Hans catalogue is complete: every string Kefu marks for translation has a reviewed
(non-fuzzy) Chinese translation, and the compiled catalogue is the one the .po says."""
import gettext
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

SRC = Path(__file__).resolve().parents[2] / "src/kefu"
PO = SRC / "locale/zh_Hans/LC_MESSAGES/django.po"


def _entries(text):
    """(flags, msgctxt, msgid, msgstrs) of each entry of a .po file (obsolete ones skipped)."""
    out = []
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        flags = " ".join(line for line in lines if line.startswith("#,"))
        parts, current = {}, None
        for line in lines:
            if line.startswith(("msgctxt", "msgid", "msgstr")):
                current, _, rest = line.partition(" ")
                parts[current] = rest.strip('"')
            elif line.startswith('"') and current:
                parts[current] += line.strip('"')
        if "msgid" in parts:
            out.append((flags, parts.get("msgctxt"), parts["msgid"],
                        [v for k, v in parts.items() if k.startswith("msgstr")]))
    return out


def _untranslated(po_text):
    return [(ctx, msgid) for flags, ctx, msgid, strs in _entries(po_text)
            if msgid and ("fuzzy" in flags or not all(strs))]


def test_every_msgid_has_a_reviewed_translation():
    assert _untranslated(PO.read_text(encoding="utf-8")) == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs GNU gettext")
def test_compiled_catalogue_matches_the_po(tmp_path):
    subprocess.run(["msgfmt", "-o", str(tmp_path / "django.mo"), str(PO)], check=True)
    def catalog(path):
        with open(path, "rb") as f:
            return gettext.GNUTranslations(f)._catalog
    assert catalog(PO.with_suffix(".mo")) == catalog(tmp_path / "django.mo")


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext")
def test_makemessages_leaves_nothing_untranslated(tmp_path, settings, monkeypatch):
    """makemessages run on a copy of the sources (the tree is not touched) finds no string the
    catalogue lacks, and marks nothing fuzzy."""
    copy = tmp_path / "kefu"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("var", "__pycache__", "static", "*.mo"))
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["zh_Hans"], no_obsolete=True, verbosity=0)
    assert _untranslated((copy / "locale/zh_Hans/LC_MESSAGES/django.po").read_text(encoding="utf-8")) == []
