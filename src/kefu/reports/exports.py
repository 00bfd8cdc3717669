"""A report `Document` written as Excel (.xlsx), PDF and CSV (decision 0026).

Each writer takes the neutral document and returns the file's bytes; none reads the database.
What a value reads as comes from `document.format_value`, so the PDF, the CSV and the pages show
the same text; the Excel file keeps numbers as numbers with a number format of its kind.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import unicodedata
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    LongTable,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
)

from .document import (
    COUNT,
    HOURS,
    MINUTES,
    MIXED,
    NUMBER,
    PERCENT,
    Cell,
    Column,
    Document,
    Table,
    format_value,
    no_data,
)
from .fonts import pdf_font

NUMERIC = frozenset({COUNT, PERCENT, NUMBER, MINUTES, HOURS})
# Columns of figures: right-aligned, never wrapped. A MIXED column holds `Cell`s of figures.
FIGURES = NUMERIC | {MIXED}


# ---- shared ------------------------------------------------------------------------------------


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def _overview(doc: Document) -> list[tuple[str, str]]:
    """The (label, value) lines every format opens with: period, dates, scope, time, meta."""
    lines = [
        (pgettext("report export", "Period"), doc.period_label),
        (pgettext("report export", "Dates"), pgettext("report export", "%(start)s to %(end)s") % {
            "start": doc.start.isoformat(), "end": doc.end.isoformat()}),
    ]
    if doc.scope_label:
        lines.append((pgettext("report export", "Scope"), doc.scope_label))
    generated = _local(doc.generated_at).strftime("%Y-%m-%d %H:%M")
    lines.append((pgettext("report export", "Generated at"), generated))
    lines.extend((str(label), str(value)) for label, value in doc.meta)
    return lines


def _display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: a CJK (wide or full-width) character counts 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# ---- Excel -------------------------------------------------------------------------------------

# Number formats by column kind; a percent is a fraction 0..1.
XLSX_FORMATS = {COUNT: "#,##0", PERCENT: "0.0%", NUMBER: "#,##0.00", MINUTES: "#,##0.0",
                HOURS: "#,##0.0"}
SHEET_NAME_MAX = 31
# Characters Excel refuses in a sheet name, written as their full-width forms.
SHEET_NAME_CHARS = str.maketrans({"[": "［", "]": "］", ":": "：", "*": "＊", "?": "？",
                                  "/": "／", "\\": "＼"})
CELL_TEXT_MAX = 32767  # Excel's limit on one cell's text
WIDTH_SAMPLE = 1000  # rows read to size the columns
WIDTH_MIN, WIDTH_MAX = 6, 60

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", start_color="FFDDE3EA")
_MUTED = Font(color="FF6B7280")
_RIGHT = Alignment(horizontal="right")


def sheet_name(title: str, taken: set[str], fallback: str = "") -> str:
    """An Excel sheet name from a title: at most 31 characters, none of []:*?/\\ (full-width
    forms instead), no apostrophe at either end, not "History", unique among `taken`
    (compared as Excel does, ignoring case), which it joins."""
    base = " ".join(title.translate(SHEET_NAME_CHARS).split()).strip("'") or fallback or "-"
    n = 1
    while True:
        suffix = f"（{n}）" if n > 1 else ""
        cut = base
        while _units(cut + suffix) > SHEET_NAME_MAX:
            cut = cut[:-1]
        name = (cut.rstrip("'") or "-") + suffix
        if name.casefold() not in taken and name.casefold() != "history":
            taken.add(name.casefold())
            return name
        n += 1


def _units(text: str) -> int:
    """Length as Excel counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _clean(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)[:CELL_TEXT_MAX]


def _text_cell(ws: Any, text: str, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=_clean(text))
    if cell.data_type == "f":  # openpyxl reads "=…" as a formula: keep people's text as text
        cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell


def _column_widths(table: Table) -> list[float]:
    widths = []
    sample = table.rows[:WIDTH_SAMPLE]
    for i, column in enumerate(table.columns):
        widest = _display_width(column.label) * 1.1  # bold
        for row in sample:
            value = row[i] if i < len(row) else None
            widest = max(widest, _display_width(format_value(value, column.kind)))
        widths.append(min(max(widest + 2, WIDTH_MIN), WIDTH_MAX))
    return widths


def to_xlsx(doc: Document) -> bytes:
    """The report as an Excel workbook: an overview sheet (概览), then one sheet per section
    with a bold frozen header row, columns sized for Chinese text and numbers formatted by
    kind. Written in write-only mode: rows stream to the file, memory stays flat."""
    wb = Workbook(write_only=True)
    wb.properties.title = _clean(doc.title)
    wb.properties.creator = "Kefu"
    taken: set[str] = set()
    overview = wb.create_sheet(sheet_name(pgettext("report export", "Overview"), taken))
    names = [sheet_name(t.title, taken, fallback=pgettext("report export", "Table %(n)s") % {"n": i})
             for i, t in enumerate(doc.sections, start=1)]
    _write_overview(overview, doc, names)
    for table, name in zip(doc.sections, names, strict=True):
        _write_section(wb.create_sheet(name), table)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _write_overview(ws: Any, doc: Document, names: list[str]) -> None:
    lines = _overview(doc)
    contents = [(name, table.note) for name, table in zip(names, doc.sections, strict=True)]
    labels = [label for label, _ in lines] + [name for name, _ in contents]
    values = [value for _, value in lines] + [note for _, note in contents]
    ws.column_dimensions["A"].width = min(max([_display_width(x) for x in labels] + [8]) + 4,
                                          WIDTH_MAX)
    ws.column_dimensions["B"].width = min(max([_display_width(x) for x in values] + [20]) + 2,
                                          90)
    ws.append([_text_cell(ws, doc.title, _TITLE)])
    ws.append([])
    for label, value in lines:
        ws.append([_text_cell(ws, label, _BOLD), _text_cell(ws, value)])
    if contents:
        ws.append([])
        ws.append([_text_cell(ws, pgettext("report export", "Contents"), _BOLD)])
        for name, note in contents:
            ws.append([_text_cell(ws, name), _text_cell(ws, note, _MUTED)])


def _write_section(ws: Any, table: Table) -> None:
    columns = table.columns
    for i, width in enumerate(_column_widths(table), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(table.rows) + 1}"
    header = []
    for column in columns:
        cell = _text_cell(ws, column.label, _BOLD)
        cell.fill = _HEADER_FILL
        if column.kind in FIGURES:
            cell.alignment = _RIGHT
        header.append(cell)
    ws.append(header)
    writers = [_column_writer(ws, column) for column in columns]
    width = len(columns)
    for row in table.rows:
        values = list(row[:width]) + [None] * (width - len(row))
        ws.append([write(value) for write, value in zip(writers, values, strict=True)])


def _column_writer(ws: Any, column: Column) -> Any:
    """`_value_writer` of the column, and of each kind its `Cell`s carry (a MIXED column)."""
    plain = _value_writer(ws, column)
    by_kind: dict[str, Any] = {}

    def write(value: Any) -> Any:
        if not isinstance(value, Cell):
            return plain(value)
        if value.kind not in by_kind:
            by_kind[value.kind] = _value_writer(ws, Column(column.key, column.label, value.kind))
        return by_kind[value.kind](value.value)

    return write


def _value_writer(ws: Any, column: Column) -> Any:
    """A function turning one value of the column into what `ws.append` writes: a plain value
    where no style is needed, else the column's styled cell holding it.

    The styled cells are one per column, given each row's value in turn: a write-only sheet
    writes a row out within `append`, so a cell is free again once its row is appended, and
    50,000 rows do not build and style 50,000 cells per column."""
    number_format = XLSX_FORMATS.get(column.kind)
    figure = WriteOnlyCell(ws)
    if number_format is not None:
        figure.number_format = number_format
    empty = WriteOnlyCell(ws, value=_clean(no_data()))
    empty.font = _MUTED
    if column.kind in FIGURES:
        empty.alignment = _RIGHT

    def write(value: Any) -> Any:
        if isinstance(value, str):
            if value.startswith("=") or len(value) > CELL_TEXT_MAX or (
                    ILLEGAL_CHARACTERS_RE.search(value)):
                return _text_cell(ws, value)
            return value
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return empty
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int | float | Decimal):
            if number_format is None:
                return value
            figure.value = value
            return figure
        if isinstance(value, dt.datetime):
            cell = WriteOnlyCell(ws, value=_local(value).replace(tzinfo=None))
            cell.number_format = "yyyy-mm-dd hh:mm"
            return cell
        if isinstance(value, dt.date):
            cell = WriteOnlyCell(ws, value=value)
            cell.number_format = "yyyy-mm-dd"
            return cell
        return _text_cell(ws, str(value))

    return write


# ---- CSV ---------------------------------------------------------------------------------------

# A cell a spreadsheet would read as a formula (CSV injection, OWASP): = + - @, tab, return.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_value(value: Any, kind: str) -> str:
    if isinstance(value, Cell):
        value, kind = value.value, value.kind
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        # Numbers, a sign at most, are never a formula: plain, so a spreadsheet reads them.
        return format_value(value, kind, grouping=False) if kind in NUMERIC else str(value)
    if isinstance(value, dt.datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M")
    return _csv_text(str(value))


def to_csv(table: Table) -> bytes:
    """One table as CSV: UTF-8 with a byte order mark (so Excel reads it as UTF-8), a header
    row of labels, percents as 85.3%, no thousands separators, None as an empty cell, and any
    text that would start a formula prefixed with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_csv_text(column.label) for column in table.columns])
    kinds = [column.kind for column in table.columns]
    width = len(kinds)
    for row in table.rows:
        values = list(row[:width]) + [None] * (width - len(row))
        writer.writerow([_csv_value(value, kind) for value, kind in zip(values, kinds, strict=True)])
    return out.getvalue().encode("utf-8-sig")


# ---- PDF ---------------------------------------------------------------------------------------

MARGIN = 15 * mm
FOOTER_GAP = 8 * mm
PAD = 3  # points left and right of a table cell's text
VPAD = 2  # points above and below it
FONT_SIZES = (9, 8, 7)  # a table's text, tried in turn until it fits the width
SMALLEST = 6  # a table too wide even in landscape at the last size
MIN_TEXT_CHARS = 4  # a wrapped text column keeps at least this many CJK characters a line
PORTRAIT, LANDSCAPE = "portrait", "landscape"
PAGE_SIZES = {PORTRAIT: A4, LANDSCAPE: landscape(A4)}

HEADER_BG = colors.HexColor("#DDE3EA")
STRIPE_BG = colors.HexColor("#F5F7FA")
RULE = colors.HexColor("#9AA5B1")
MUTED = colors.HexColor("#4B5563")


def _frame_width(orientation: str) -> float:
    return PAGE_SIZES[orientation][0] - 2 * MARGIN


class _Styles:
    def __init__(self, font: str):
        self.font = font
        self.title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22,
                                    spaceAfter=6, wordWrap="CJK")
        self.meta = ParagraphStyle("meta", fontName=font, fontSize=9, leading=13,
                                   textColor=MUTED, wordWrap="CJK")
        self.heading = ParagraphStyle("heading", fontName=font, fontSize=12, leading=16,
                                      spaceBefore=10, spaceAfter=4, wordWrap="CJK")
        self.note = ParagraphStyle("note", fontName=font, fontSize=8, leading=11,
                                   textColor=MUTED, spaceAfter=4, wordWrap="CJK")
        self._cells: dict[tuple[float, bool], ParagraphStyle] = {}

    def cell(self, size: float, right: bool) -> ParagraphStyle:
        key = (size, right)
        if key not in self._cells:
            self._cells[key] = ParagraphStyle(
                f"cell-{size}-{right}", fontName=self.font, fontSize=size, leading=size * 1.25,
                alignment=TA_RIGHT if right else 0, wordWrap="CJK")
        return self._cells[key]


class _Layout:
    """How one table is laid out: page orientation, font size, column widths."""

    def __init__(self, orientation: str, size: float, widths: list[float]):
        self.orientation, self.size, self.widths = orientation, size, widths


def _lines_width(text: str, font: str, size: float) -> float:
    return max(stringWidth(line, font, size) for line in text.split("\n"))


def _layout(header: list[str], body: list[list[str]], numeric: list[bool], font: str) -> _Layout:
    """The largest font size at which the table fits a portrait page; else wrap the text
    columns (and the headers) at the smallest size, on a portrait or else a landscape page;
    else shrink everything to fit the landscape page."""
    n = len(header)
    # Widest text per column, in points at size 1 (widths scale with the size).
    header_w = [_lines_width(h, font, 1) for h in header]
    value_w = [0.0] * n
    for row in body:
        for i, text in enumerate(row):
            w = _lines_width(text, font, 1)
            if w > value_w[i]:
                value_w[i] = w
    natural = [max(h, v) for h, v in zip(header_w, value_w, strict=True)]
    portrait = _frame_width(PORTRAIT)
    for size in FONT_SIZES:
        widths = [w * size + 2 * PAD for w in natural]
        if sum(widths) <= portrait:
            return _Layout(PORTRAIT, size, widths)
    size = FONT_SIZES[-1]
    full = [w * size + 2 * PAD for w in natural]
    # Figures never wrap (85.3% stays whole); headers and text may, down to a few characters.
    cjk = stringWidth("中", font, 1)
    need = [
        (max(value_w[i], cjk) if numeric[i] else min(natural[i], cjk * MIN_TEXT_CHARS))
        * size + 2 * PAD
        for i in range(n)
    ]
    for orientation in (PORTRAIT, LANDSCAPE):
        avail = _frame_width(orientation)
        if sum(need) <= avail:
            return _Layout(orientation, size, _spread(need, full, avail))
    # Shrink the font until it fits, down to SMALLEST; past that, squeeze the columns (figures
    # then wrap too): a table is never wider than the frame, which ReportLab could not place.
    avail = _frame_width(LANDSCAPE)
    at_one = [(w - 2 * PAD) / size for w in need]
    size = min(size, max(SMALLEST, (avail - 2 * PAD * n) / sum(at_one)))
    widths = [w * size + 2 * PAD for w in at_one]
    if sum(widths) > avail:
        widths = [w * avail / sum(widths) for w in widths]
    return _Layout(LANDSCAPE, size, widths)


def _spread(need: list[float], full: list[float], avail: float) -> list[float]:
    """Give the room left to the columns that want more, in proportion to what they lack."""
    lack = [f - w for w, f in zip(need, full, strict=True)]
    total_lack = sum(lack)
    room = avail - sum(need)
    if total_lack <= 0:
        return need
    share = min(1.0, room / total_lack)
    return [w + x * share for w, x in zip(need, lack, strict=True)]


def _pdf_table(table: Table, styles: _Styles) -> tuple[_Layout, _PagedTable] | None:
    if not table.columns:
        return None
    font = styles.font
    numeric = [column.kind in FIGURES for column in table.columns]
    header = [column.label for column in table.columns]
    width = len(header)
    body = [
        [format_value(value, column.kind) for value, column in
         zip(list(row[:width]) + [None] * (width - len(row)), table.columns, strict=True)]
        for row in table.rows
    ]
    layout = _layout(header, body, numeric, font)
    size = layout.size
    leading = size * 1.25
    inner = [w - 2 * PAD for w in layout.widths]

    def row_cells(texts: list[str]) -> tuple[list[Any], float]:
        """The row's cells (plain text where it fits, else a wrapping paragraph), its height."""
        cells: list[Any] = []
        height = leading
        for i, text in enumerate(texts):
            if "\n" in text or stringWidth(text, font, size) > inner[i] + 0.01:
                paragraph = Paragraph(escape(text).replace("\n", "<br/>"),
                                      styles.cell(size, numeric[i]))
                height = max(height, paragraph.wrap(inner[i], 1e6)[1])
                cells.append(paragraph)
            else:
                cells.append(text)
        return cells, height + 2 * VPAD

    head, head_height = row_cells(header)
    rows: list[list[Any]] = []
    heights: list[float] = []
    for texts in body:
        cells, height = row_cells(texts)
        rows.append(cells)
        heights.append(height)
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), font, size, leading),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        ("TOPPADDING", (0, 0), (-1, -1), VPAD),
        ("BOTTOMPADDING", (0, 0), (-1, -1), VPAD),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, RULE),
        ("LINEBELOW", (0, -1), (-1, -1), 0.6, RULE),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, STRIPE_BG]),
        *(("ALIGN", (i, 0), (i, -1), "RIGHT") for i, is_num in enumerate(numeric) if is_num),
    ]
    frame_height = PAGE_SIZES[layout.orientation][1] - 2 * MARGIN
    return layout, _PagedTable(head, head_height, rows, heights, layout.widths, commands,
                               frame_height)


class _PagedTable(Flowable):
    """A table laid out one page at a time: each page gets a table of its own, the header row
    first, holding the rows that fit (their heights measured once, beforehand).

    ReportLab's Table re-reads every remaining row each time it splits at a page end, which
    makes a long table cost the square of its length (50,000 rows took minutes); this stays
    linear. The header row repeats on each page as `repeatRows` would repeat it."""

    def __init__(self, head: list[Any], head_height: float, rows: list[list[Any]],
                 heights: list[float], widths: list[float], commands: list[tuple[Any, ...]],
                 frame_height: float, start: int = 0, below: list[float] | None = None):
        super().__init__()
        self.head, self.head_height, self.rows, self.heights = head, head_height, rows, heights
        self.widths, self.commands, self.frame_height = widths, commands, frame_height
        self.start = start
        if below is None:  # below[i]: the height of rows i… to the end
            below = [0.0] * (len(heights) + 1)
            for i in range(len(heights) - 1, -1, -1):
                below[i] = below[i + 1] + heights[i]
        self.below = below
        self.width = sum(widths)
        self.height = head_height + below[start]

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Any]:
        room = avail_height - self.head_height
        end, used = self.start, 0.0
        while end < len(self.rows) and used + self.heights[end] <= room:
            used += self.heights[end]
            end += 1
        if end == self.start:
            if avail_height < self.frame_height - 1:
                return []  # not a row fits: on to the next page
            # A row taller than a whole page: ReportLab's own table splits it within the row.
            tall = LongTable([self.head, self.rows[end]], colWidths=self.widths, repeatRows=1,
                             hAlign="LEFT", style=self.commands, splitInRow=1)
            tall.wrap(avail_width, avail_height)
            parts: list[Any] = tall.split(avail_width, avail_height) or [tall]
            end += 1
        else:
            parts = [self._table(self.start, end)]
        if end < len(self.rows):
            parts.append(_PagedTable(self.head, self.head_height, self.rows, self.heights,
                                     self.widths, self.commands, self.frame_height, end,
                                     self.below))
        return parts

    def draw(self) -> None:
        table = self._table(self.start, len(self.rows))
        table.wrapOn(self.canv, self.width, self.height)
        table.drawOn(self.canv, 0, 0)

    def _table(self, start: int, end: int) -> LongTable:
        return LongTable([self.head, *self.rows[start:end]], colWidths=self.widths,
                         rowHeights=[self.head_height, *self.heights[start:end]],
                         repeatRows=1, hAlign="LEFT", style=self.commands)


def to_pdf(doc: Document) -> bytes:
    """The report as an A4 PDF: the title, period, scope and generation time, then each section
    as a heading and a table whose header row repeats on every page it runs over; a table too
    wide for the page gets a smaller font and wrapped text, and a landscape page if it needs
    one. Pages are numbered 第 N 页. Chinese text is written in `fonts.pdf_font()`."""
    font = pdf_font()
    styles = _Styles(font.name)
    out = io.BytesIO()
    footer_left = f"{doc.title} · {doc.period_label}"

    def footer(orientation: str) -> Any:
        page_width = PAGE_SIZES[orientation][0]

        def draw(canvas: Any, pdf: Any) -> None:
            canvas.saveState()
            canvas.setFont(font.name, 8)
            canvas.setFillColor(MUTED)
            y = MARGIN - FOOTER_GAP
            canvas.drawString(MARGIN, y, footer_left)
            canvas.drawRightString(page_width - MARGIN, y,
                                   pgettext("report export", "Page %(n)s") % {"n": canvas.getPageNumber()})
            canvas.restoreState()

        return draw

    templates = [
        PageTemplate(id=orientation, pagesize=PAGE_SIZES[orientation],
                     onPage=footer(orientation), frames=[
            Frame(MARGIN, MARGIN, PAGE_SIZES[orientation][0] - 2 * MARGIN,
                  PAGE_SIZES[orientation][1] - 2 * MARGIN, id=orientation,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)])
        for orientation in (PORTRAIT, LANDSCAPE)
    ]
    pdf = BaseDocTemplate(out, pagesize=A4, pageTemplates=templates, title=doc.title,
                          author="Kefu", creator="Kefu", subject=doc.period_label,
                          leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                          bottomMargin=MARGIN, initialFontName=font.name)
    story: list[Any] = [Paragraph(escape(doc.title), styles.title)]
    for label, value in _overview(doc):
        story.append(Paragraph(f"{escape(label)}：{escape(value)}", styles.meta))
    orientation = PORTRAIT
    for table in doc.sections:
        built = _pdf_table(table, styles)
        if built is not None and built[0].orientation != orientation:
            orientation = built[0].orientation
            story += [NextPageTemplate(orientation), PageBreak()]
        story.append(CondPageBreak(60))  # a heading never ends a page alone
        story.append(Paragraph(escape(table.title), styles.heading))
        if table.note:
            story.append(Paragraph(escape(table.note), styles.note))
        if built is not None:
            story.append(built[1])
        if not table.rows:
            story += [Spacer(1, 3), Paragraph(escape(no_data()), styles.note)]
    pdf.build(story)
    return out.getvalue()

