"""Report exports (decision 0026): Excel, PDF in both font modes, CSV, and the one formatting of
a value they share. No database: the writers take a plain `Document`."""

import csv
import datetime as dt
import io
import re
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from kefu.reports import fonts
from kefu.reports.document import (
    COUNT,
    HOURS,
    MINUTES,
    MIXED,
    NUMBER,
    PERCENT,
    TEXT,
    Cell,
    Column,
    Document,
    Table,
    format_value,
)
from kefu.reports.exports import sheet_name, to_csv, to_pdf, to_xlsx

ROWS = 3000
DEPARTMENTS = ["投诉处理中心", "技术支持中心", "客服热线一部", "营业厅服务部", "政企客户服务部"]


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def indicators() -> Table:
    """Indicators with a target column beside the figures, and an empty denominator."""
    return Table("满意度指标", [
        Column("name", "指标"),
        Column("value", "本期", PERCENT),
        Column("target", "目标", PERCENT),
        Column("orders", "工单量", COUNT),
        Column("hours", "平均处理时长（小时）", HOURS),
    ], [
        ["满意率", 0.853, 0.9, 12345, 20.25],
        ["一次解决率", None, 0.8, 0, None],  # no contact in the period: no data, never 0 %
        ["重复投诉率", 0.0417, 0.05, 1234567, 1.0],
    ], note="满意率 = 满意回访数 ÷ 回访数")


def orders_table(rows: int = ROWS) -> Table:
    return Table("按部门/按日", [
        Column("department", "部门"),
        Column("day", "日期"),
        Column("orders", "工单量", COUNT),
        Column("satisfaction", "满意率", PERCENT),
        Column("minutes", "首次响应（分钟）", MINUTES),
        Column("cost", "平均费用", NUMBER),
        Column("summary", "说明"),
    ], [
        [DEPARTMENTS[i % 5], f"2026-11-{i % 30 + 1:02d}", 1000 + i,
         None if i % 7 == 0 else (i % 1000) / 1000, i / 4, 1234.5, f"第{i}行：宽带无法上网"]
        for i in range(rows)
    ])


def report(*sections: Table) -> Document:
    return Document(
        title="2026年11月服务质量月报", period_label="2026年11月",
        start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30),
        generated_at=dt.datetime(2026, 12, 1, 0, 5, tzinfo=dt.UTC),  # 08:05 in Asia/Shanghai
        scope_label="广东省", meta=[("指标口径版本", "2026.1")],
        sections=list(sections) or [indicators(), orders_table()])


# ---- formatting ----------------------------------------------------------------------------


def test_format_value_by_kind():
    assert format_value(0.853, PERCENT) == "85.3%"
    assert format_value(0.8535, PERCENT) == "85.4%"  # half up, as people and Excel round
    assert format_value(1, PERCENT) == "100.0%"
    assert format_value(-0.00001, PERCENT) == "0.0%"  # no "-0.0%"
    assert format_value(1234567, COUNT) == "1,234,567"
    assert format_value(1234567, COUNT, grouping=False) == "1234567"
    assert format_value(1234.5, NUMBER) == "1,234.50"
    assert format_value(90.55, MINUTES) == "90.6"
    assert format_value(2, HOURS) == "2.0"
    assert format_value("宽带", TEXT) == "宽带"
    assert format_value(12, TEXT) == "12"
    assert format_value("n/a", PERCENT) == "n/a"  # not a number: shown as it is
    assert format_value(None, PERCENT) == "无数据"
    assert format_value(float("nan"), COUNT) == "无数据"
    assert format_value(Decimal("NaN"), PERCENT) == "无数据"
    assert format_value(Decimal("0.9995"), PERCENT) == "100.0%"
    with translation.override("en"):
        assert format_value(None, COUNT) == "No data"


def test_sheet_names_follow_excels_rules():
    taken: set[str] = set()
    assert sheet_name("概览", taken) == "概览"
    assert sheet_name("投诉/咨询[全部]:*?\\", taken) == "投诉／咨询［全部］：＊？＼"
    long = sheet_name("很长" * 20, taken)
    assert len(long) == 31
    again = sheet_name("很长" * 20, taken)
    assert again != long and len(again) == 31 and again.endswith("（2）")
    assert sheet_name("Sheet", taken) == "Sheet"
    assert sheet_name("SHEET", taken) == "SHEET（2）"  # Excel compares names ignoring case
    assert sheet_name("History", taken) == "History（2）"  # reserved by Excel
    assert sheet_name("'引号'", taken) == "引号"
    assert sheet_name("", taken, fallback="表 3") == "表 3"


# ---- Excel ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workbook():
    with translation.override("zh-hans"):
        data = to_xlsx(report(indicators(), orders_table(), orders_table(0)))
    return load_workbook(io.BytesIO(data))


def test_xlsx_sheets_and_overview(workbook):
    # The second and third sections have the same title: made unique, / written full-width.
    assert workbook.sheetnames == ["概览", "满意度指标", "按部门／按日", "按部门／按日（2）"]
    overview = {row[0]: row[1] for row in workbook["概览"].iter_rows(values_only=True) if row[0]}
    assert "2026年11月服务质量月报" in overview
    assert overview["报表周期"] == "2026年11月"
    assert overview["统计日期"] == "2026-11-01 至 2026-11-30"
    assert overview["数据范围"] == "广东省"
    assert overview["生成时间"] == "2026-12-01 08:05"
    assert overview["指标口径版本"] == "2026.1"
    assert overview["满意度指标"] == "满意率 = 满意回访数 ÷ 回访数"  # contents, with the note


def test_xlsx_header_frozen_and_formats(workbook):
    ws = workbook["满意度指标"]
    assert ws.freeze_panes == "A2"
    header = ws[1]
    assert [c.value for c in header] == ["指标", "本期", "目标", "工单量", "平均处理时长（小时）"]
    assert all(c.font.b for c in header)
    first = ws[2]
    assert [c.value for c in first] == ["满意率", 0.853, 0.9, 12345, 20.25]
    assert [c.number_format for c in first[1:]] == ["0.0%", "0.0%", "#,##0", "#,##0.0"]
    empty = ws[3]
    assert empty[1].value == "无数据" and empty[1].data_type == "s"
    assert empty[3].value == 0 and empty[3].number_format == "#,##0"  # zero is a figure
    assert empty[4].value == "无数据"

    ws = workbook["按部门／按日"]
    assert ws.freeze_panes == "A2"
    assert ws.max_row == ROWS + 1
    formats = [c.number_format for c in ws[3]]
    assert formats[2:6] == ["#,##0", "0.0%", "#,##0.0", "#,##0.00"]
    assert [c.value for c in ws[ROWS + 1]][:4] == ["政企客户服务部", "2026-11-30", 3999, 0.999]
    assert ws.auto_filter.ref == f"A1:G{ROWS + 1}"
    assert list(workbook["按部门／按日（2）"].iter_rows(values_only=True)) == [
        ("部门", "日期", "工单量", "满意率", "首次响应（分钟）", "平均费用", "说明")]


def test_xlsx_column_widths_count_chinese_double(workbook):
    ws = workbook["按部门／按日"]
    widths = {k: d.width for k, d in ws.column_dimensions.items()}
    assert widths["A"] >= 2 * len("政企客户服务部")  # 7 CJK characters take 14 columns
    assert widths["B"] < widths["A"]  # "2026-11-30": 10 narrow characters
    assert widths["G"] >= 21  # "第999行：宽带无法上网": 9 CJK characters, 3 digits


def test_xlsx_keeps_formulas_out():
    table = Table("说明", [Column("text", "内容")], [["=HYPERLINK(\"http://x\",\"点我\")"],
                                                      ["控制字符\x07已去掉"]])
    ws = load_workbook(io.BytesIO(to_xlsx(report(table))))["说明"]
    cell = ws["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    assert ws["A3"].value == "控制字符已去掉"


def test_xlsx_50000_rows_in_seconds():
    doc = report(orders_table(50_000))
    started = time.process_time()
    data = to_xlsx(doc)
    spent = time.process_time() - started
    # About 7 s of CPU on the 2-core development machine (openpyxl writes ~20 µs a cell): the
    # bound leaves room for a slower runner, not for a writer that does more per row.
    assert spent < 20, spent
    assert len(data) > 1_500_000  # 50,000 rows, zipped (the 3,000-row sheets check the rest)


def mixed_table() -> Table:
    """The indicators as rows: one column of figures of several kinds, each cell its own."""
    return Table("指标一览", [Column("name", "指标"), Column("value", "本期", MIXED),
                          Column("target", "目标", MIXED)], [
        ["满意率", Cell(0.853, PERCENT), Cell(0.9, PERCENT)],
        ["工单量", Cell(12345, COUNT), None],
        ["平均处理时长（分钟）", Cell(90.55, MINUTES), Cell(None, MINUTES)],
    ])


def test_xlsx_mixed_column_formats_each_cell_by_its_kind():
    ws = load_workbook(io.BytesIO(to_xlsx(report(mixed_table()))))["指标一览"]
    assert [(c.value, c.number_format) for c in ws["B"][1:]] == [
        (0.853, "0.0%"), (12345, "#,##0"), (90.55, "#,##0.0")]
    assert [c.value for c in ws["C"][1:]] == [0.9, "无数据", "无数据"]
    assert ws["C2"].number_format == "0.0%"


def test_pdf_and_csv_of_a_mixed_column():
    with override_settings(KEFU_PDF_FONT="STSong-Light"):
        _, pages = pdf_text(to_pdf(report(mixed_table())))
    for figure in ["85.3%", "90.0%", "12,345", "90.6", "无数据"]:
        assert figure in pages[0], figure
    rows = list(csv.reader(io.StringIO(to_csv(mixed_table()).decode("utf-8-sig"))))
    assert rows[1:] == [["满意率", "85.3%", "90.0%"], ["工单量", "12345", ""],
                        ["平均处理时长（分钟）", "90.6", ""]]


# ---- PDF -----------------------------------------------------------------------------------


def pdf_text(data: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(data))
    return reader, [page.extract_text() for page in reader.pages]


def font_files(reader: PdfReader) -> list[str]:
    """(BaseFont, embedded font file key) of every font on the first page."""
    found = []
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        descendants = font.get("/DescendantFonts")
        described = descendants[0].get_object() if descendants else font
        descriptor = described.get("/FontDescriptor")
        descriptor = descriptor.get_object() if descriptor else {}
        embedded = [k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor]
        found.append((str(font["/BaseFont"]), embedded))
    return found


def check_pdf(data: bytes) -> PdfReader:
    reader, pages = pdf_text(data)
    text = "\n".join(pages)
    for expected in ["2026年11月服务质量月报", "报表周期：2026年11月", "统计日期：2026-11-01 至 2026-11-30",
                     "数据范围：广东省", "生成时间：2026-12-01 08:05", "指标口径版本：2026.1",
                     "满意度指标", "满意率", "一次解决率", "85.3%", "90.0%", "4.2%", "12,345",
                     "1,234,567", "20.3", "无数据", "按部门/按日", "政企客户服务部", "1,234.50",
                     "第2999行：宽带无法上网", "99.9%", "3,999"]:
        assert expected in text, expected
    assert len(reader.pages) > 10  # 3,000 rows run over many pages
    for number, page in enumerate(pages, start=1):
        assert f"第 {number} 页" in page
    # The header row repeats on every page the long table runs over.
    assert all("首次响应（分钟）" in page for page in pages[1:])
    return reader


@pytest.fixture
def system_font():
    path = fonts.system_font()
    if path is None:
        pytest.skip("no CJK TrueType font installed (Debian: apt-get install fonts-wqy-microhei)")
    return path


def test_pdf_with_an_embedded_system_font(system_font):
    with override_settings(KEFU_PDF_FONT=""):
        assert fonts.pdf_font().embedded
        data = to_pdf(report())
    reader = check_pdf(data)
    used = font_files(reader)
    assert used and all(embedded == ["/FontFile2"] for _, embedded in used), used
    assert len(data) < 2_000_000  # subset: the font file alone is ~5 MB


def test_pdf_with_the_configured_font(system_font):
    with override_settings(KEFU_PDF_FONT=system_font):
        assert fonts.pdf_font().path == system_font
        reader, pages = pdf_text(to_pdf(report(indicators())))
    assert "满意率" in pages[0] and "85.3%" in pages[0] and "第 1 页" in pages[0]


def test_pdf_with_the_builtin_cid_font():
    with override_settings(KEFU_PDF_FONT="STSong-Light"):
        assert not fonts.pdf_font().embedded
        data = to_pdf(report())
    reader = check_pdf(data)
    assert font_files(reader) == [("/STSong-Light", [])]  # nothing embedded: readers supply it


@pytest.mark.parametrize("path", ["/nonexistent/font.ttf", __file__,
                                  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"])
def test_an_unusable_configured_font_is_refused(path):
    with override_settings(KEFU_PDF_FONT=path), pytest.raises(ImproperlyConfigured):
        fonts.pdf_font()


def test_pdf_wide_table_wraps_text_and_keeps_figures_whole():
    columns = [Column("name", "部门名称"), Column("note", "处理情况说明")] + [
        Column(f"p{i}", f"第{i}项满意率", PERCENT) for i in range(6)]
    rows = [[f"{d}（第{i}组）", "客户反映宽带夜间频繁掉线，已派装维上门更换光猫并复测正常" * 2]
            + [0.853] * 6 for i, d in enumerate(DEPARTMENTS)]
    with override_settings(KEFU_PDF_FONT="STSong-Light"):
        reader, pages = pdf_text(to_pdf(report(Table("宽表", columns, rows))))
    assert all(page.mediabox.width < page.mediabox.height for page in reader.pages)  # portrait
    text = "".join(pages)
    assert text.count("85.3%") == 6 * len(rows)  # figures never wrap
    flat = re.sub(r"\s", "", text)
    assert "已派装维上门更换光猫并复测正常" in flat  # the text wrapped over lines, intact
    assert "第5项满意率" in flat


def test_pdf_too_wide_for_portrait_goes_landscape():
    columns = [Column("name", "部门")] + [Column(f"c{i}", f"指标{i}", COUNT) for i in range(16)]
    rows = [[d] + [123456789] * 16 for d in DEPARTMENTS]
    with override_settings(KEFU_PDF_FONT="STSong-Light"):
        reader, pages = pdf_text(to_pdf(report(indicators(), Table("宽表", columns, rows))))
    assert reader.pages[0].mediabox.width < reader.pages[0].mediabox.height
    last = reader.pages[-1]
    assert last.mediabox.width > last.mediabox.height
    assert pages[-1].count("123,456,789") == 16 * len(rows)
    assert f"第 {len(pages)} 页" in pages[-1]


def test_pdf_of_a_table_too_wide_for_any_page_still_builds():
    columns = [Column("name", "部门")] + [Column(f"c{i}", f"指标{i}", COUNT) for i in range(40)]
    rows = [[d] + [1234567] * 40 for d in DEPARTMENTS]
    with override_settings(KEFU_PDF_FONT="STSong-Light"):
        reader, pages = pdf_text(to_pdf(report(Table("极宽表", columns, rows))))
    assert reader.pages[-1].mediabox.width > reader.pages[-1].mediabox.height
    assert "极宽表" in pages[-1] and "政企客户服务部" in re.sub(r"\s", "", pages[-1])


def test_pdf_empty_section_and_a_row_taller_than_a_page():
    empty = Table("空表", [Column("a", "部门"), Column("b", "满意率", PERCENT)], [])
    tall = Table("长文本", [Column("a", "部门"), Column("b", "说明")],
                 [["投诉处理中心", "客户反映宽带夜间频繁掉线。" * 800]])
    with override_settings(KEFU_PDF_FONT="STSong-Light"):
        reader, pages = pdf_text(to_pdf(report(empty, tall)))
    text = "".join(pages)
    assert "空表" in text and "无数据" in text
    assert "长文本" in text and "客户反映宽带夜间频繁掉线" in text


# ---- CSV -----------------------------------------------------------------------------------


def test_csv_bom_labels_figures_and_empty_values():
    data = to_csv(indicators())
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads it as UTF-8
    assert b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [
        ["指标", "本期", "目标", "工单量", "平均处理时长（小时）"],
        ["满意率", "85.3%", "90.0%", "12345", "20.3"],
        ["一次解决率", "", "80.0%", "0", ""],
        ["重复投诉率", "4.2%", "5.0%", "1234567", "1.0"],
    ]


def test_csv_neutralises_formulas():
    table = Table("说明", [Column("text", "内容"), Column("n", "差额", COUNT)], [
        ["=1+1", -5], ["+86 138", 3], ["-2+3", None], ["@SUM(A1)", 0], ["普通文本, 含逗号", 1],
        ["\t=1", 2]])
    rows = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"))))
    assert rows[1:] == [["'=1+1", "-5"], ["'+86 138", "3"], ["'-2+3", ""], ["'@SUM(A1)", "0"],
                        ["普通文本, 含逗号", "1"], ["'\t=1", "2"]]
    # A number is never a formula, whatever its column; text that looks like one still is.
    mixed = Table("混合", [Column("text", "内容")], [[-3], ["-3"], [float("inf")]])
    rows = list(csv.reader(io.StringIO(to_csv(mixed).decode("utf-8-sig"))))
    assert rows == [["内容"], ["-3"], ["'-3"], [""]]


def test_csv_of_a_long_table():
    rows = list(csv.reader(io.StringIO(to_csv(orders_table()).decode("utf-8-sig"))))
    assert len(rows) == ROWS + 1
    assert rows[1] == ["投诉处理中心", "2026-11-01", "1000", "", "0.0", "1234.50", "第0行：宽带无法上网"]
    assert rows[-1][:4] == ["政企客户服务部", "2026-11-30", "3999", "99.9%"]
