"""A report as plain data, apart from how it is shown: the page, the Excel file, the PDF and
the CSV files all render the same `Document`, so they cannot show different figures.

Values are Python numbers (a percent is a fraction 0..1), text, or None for "no data" (an
indicator with an empty denominator is never 0 % or 100 %, KPIS.md).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import pgettext

# Column kinds: how a value is written and formatted.
TEXT, COUNT, PERCENT, NUMBER, MINUTES, HOURS = "text", "count", "percent", "number", "minutes", "hours"
KINDS = (TEXT, COUNT, PERCENT, NUMBER, MINUTES, HOURS)
# A column whose cells each carry their own kind (`Cell`): the indicators table, where one
# column holds percentages, counts and minutes.
MIXED = "mixed"


@dataclass(frozen=True)
class Cell:
    """A value with its own kind, in a MIXED column."""

    value: Any
    kind: str


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = TEXT


@dataclass
class Table:
    """One section of a report: a title (also the Excel sheet's name), columns and rows."""

    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""


@dataclass
class Document:
    title: str
    period_label: str
    start: dt.date  # first day of the period
    end: dt.date  # last day of the period (inclusive, as people read it)
    generated_at: dt.datetime
    scope_label: str = ""
    # (label, value) pairs shown on the overview: definitions version, snapshot version, …
    meta: list[tuple[str, str]] = field(default_factory=list)
    sections: list[Table] = field(default_factory=list)


# ---- the one way a value is shown ------------------------------------------------------------

# Decimal places shown per kind (a percent's are those of the percentage: 0.853 → 85.3%).
PLACES = {COUNT: 0, PERCENT: 1, NUMBER: 2, MINUTES: 1, HOURS: 1}


def no_data() -> str:
    """What an empty value reads as (无数据), in the active language."""
    return pgettext("report value", "No data")


def rounded(value: float | int | Decimal, kind: str) -> Decimal:
    """The figure a kind shows, rounded half up as people (and Excel) round: 0.8535 → 85.4 %.

    A percent comes back as the percentage (85.4), not the fraction.
    """
    number = Decimal(str(value))  # str: the shortest repr, so 0.8535 is 0.8535, not 0.85349…
    if kind == PERCENT:
        number *= 100
    return number.quantize(Decimal(1).scaleb(-PLACES[kind]), rounding=ROUND_HALF_UP)


def format_value(value: Any, kind: str, *, grouping: bool = True) -> str:
    """A value as every consumer shows it (page, PDF, CSV): percent 85.3%, count 12,345,
    number 1,234.50, minutes and hours 90.5, text as is, None as 无数据 (translated).

    grouping=False leaves out the thousands separators (figures a spreadsheet reads back).
    Booleans and values that are not numbers are shown as text whatever the kind.
    """
    if isinstance(value, Cell):
        return format_value(value.value, value.kind, grouping=grouping)
    if value is None:
        return no_data()
    if kind in PLACES and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        if isinstance(value, float | Decimal) and not math.isfinite(value):
            return no_data()
        text = f"{rounded(value, kind):{',' if grouping else ''}f}"
        if text.startswith("-") and not text.strip("-0.,"):
            text = text[1:]  # -0.0 rounds to 0.0: no sign on a zero
        return f"{text}%" if kind == PERCENT else text
    return str(value)
