"""PIPL data-subject requests (查阅复制, 更正, 删除) and the retention purge.

A request is received (with the date its answer is due), started once the requester's
identity is checked, and completed or refused; each step locks the request, checks the
version the caller read and its status (states.py) and is audited. Access requests are
answered with an export of everything about the customer; corrections go through the
customer file's own service; deletions anonymise what lawful retention lets go. `purge` is
the daily retention job.

By concern: requests.py (the request's life, correction, deletion), export.py (access),
retention.py (what retention lets go, anonymisation, the purge). Callers import from here.
"""

from ..states import ADD, CHANGE, HANDLE, VIEW
from .export import PROFILE, SECTIONS, Column, export, export_document
from .requests import (
    CORRECTABLE,
    MACHINE,
    complete,
    correct,
    due_for,
    erase,
    get_request,
    open_request,
    refuse,
    requests,
    start,
)
from .retention import (
    ANONYMOUS_NAME,
    FULL_FIELDS,
    PERSONAL_FIELDS,
    SCAN_BATCHES,
    past_retention,
    purge,
    realname_limit,
    shift_years,
)

__all__ = [
    "ADD", "ANONYMOUS_NAME", "CHANGE", "CORRECTABLE", "FULL_FIELDS", "HANDLE", "MACHINE", "PERSONAL_FIELDS", "PROFILE",
    "SCAN_BATCHES", "SECTIONS", "VIEW", "Column", "complete", "correct", "due_for", "erase", "export", "export_document",
    "get_request", "open_request", "past_retention", "purge", "realname_limit", "refuse", "requests", "shift_years", "start",
]
