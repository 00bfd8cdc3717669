"""The font Chinese text is written with in PDF exports (decision 0026).

In this order:

1. `KEFU_PDF_FONT`: a TrueType font file (.ttf, .ttc, or an .otf with TrueType outlines) with
   CJK glyphs, embedded and subset; or `STSong-Light` to choose the built-in CID font below.
   A file that cannot be used is a configuration error, said plainly, never a silent fallback.
2. The first usable font among the common system CJK fonts (Debian's fonts-wqy-microhei,
   fonts-wqy-zenhei, fonts-arphic-uming, fonts-droid-fallback, Windows' and macOS's), embedded
   and subset: the PDF looks the same on every reader.
3. ReportLab's built-in CID font STSong-Light: no file needed, nothing embedded; the PDF
   reader supplies a Song (宋体) face (every mainstream reader has one for Adobe-GB1).

ReportLab reads TrueType outlines only: fonts with PostScript (CFF) outlines, as are Noto
Sans CJK's .ttc and .otf files, are skipped here and refused in `KEFU_PDF_FONT`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

logger = logging.getLogger(__name__)

CID_FONT = "STSong-Light"

# Common places of CJK fonts with TrueType outlines, most legible first.
SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian / Ubuntu fonts-wqy-microhei
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",  # Fedora
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # fonts-wqy-zenhei
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",  # fonts-arphic-uming
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # fonts-droid-fallback
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # CFF outlines: skipped today
    "C:/Windows/Fonts/msyh.ttc",  # Microsoft YaHei
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/simsun.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
)

# A glyph every usable font must have: a font without 中 is no CJK font.
PROBE = "中"


@dataclass(frozen=True)
class PdfFont:
    name: str  # the name registered with ReportLab, to give styles and canvases
    path: str | None  # the embedded file; None for the CID font
    embedded: bool


_lock = threading.Lock()
_chosen: dict[str, PdfFont] = {}  # by KEFU_PDF_FONT's value: settings may change in tests


def pdf_font() -> PdfFont:
    """The font to write with, registered with ReportLab (chosen once per process and setting)."""
    configured = str(getattr(settings, "KEFU_PDF_FONT", "") or "").strip()
    with _lock:
        if configured not in _chosen:
            _chosen[configured] = _choose(configured)
        return _chosen[configured]


def system_font() -> str | None:
    """The first usable CJK font among the system's, or None."""
    for path in SYSTEM_FONTS:
        if Path(path).is_file():
            try:
                _load(path)
            except (TTFError, OSError, ValueError) as exc:
                logger.debug("PDF font %s skipped: %s", path, exc)
                continue
            return path
    return None


def _choose(configured: str) -> PdfFont:
    if configured == CID_FONT:
        return _cid()
    if configured:
        if not Path(configured).is_file():
            raise ImproperlyConfigured(f"KEFU_PDF_FONT: no font file at {configured}")
        try:
            return _load(configured)
        except (TTFError, OSError, ValueError) as exc:
            raise ImproperlyConfigured(
                f"KEFU_PDF_FONT: {configured} is not a usable CJK TrueType font ({exc}); "
                f"use e.g. wqy-microhei.ttc, or {CID_FONT}") from exc
    path = system_font()
    if path is None:
        logger.info("No CJK TrueType font found: PDF exports use the built-in %s", CID_FONT)
        return _cid()
    return _load(path)


def _load(path: str) -> PdfFont:
    """Register a TrueType file (the first face of a collection) and check it writes Chinese."""
    name = f"kefu-{Path(path).stem}"
    if name in pdfmetrics.getRegisteredFontNames():
        return PdfFont(name, path, embedded=True)
    font = TTFont(name, path, subfontIndex=0)
    if ord(PROBE) not in font.face.charToGlyph:
        raise ValueError(f"no glyph for {PROBE}")
    pdfmetrics.registerFont(font)
    return PdfFont(name, path, embedded=True)


def _cid() -> PdfFont:
    if CID_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return PdfFont(CID_FONT, None, embedded=False)
