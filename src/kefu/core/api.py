"""API plumbing shared by the apps' routers: pagination, the error body schema, and the checks
every input passes before it reaches a service (nothing a database column cannot hold)."""

from datetime import UTC, datetime
from typing import Annotated

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator

from .services import page_of
from .validators import why_not_past


class Page[T](BaseModel):
    count: int
    count_exact: bool = Field(True, description="false: there are more than `count` results, which is a lower bound "
                                                "(a search by words counts up to 1,000; see GET /orders `q`)")
    page: int
    page_size: int
    results: list[T]


class FieldError(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    fields: list[FieldError] = []
    state: str | None = None
    allowed_actions: list[str] | None = None
    current_version: int | None = None


BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
"""The range of a 64-bit database integer (ids are bigint): a number outside it is refused with
422 naming the field instead of overflowing in the database driver (500)."""


def happened(value: datetime | None) -> datetime | None:
    """VALUE, if it can be the time of something that has happened (after 2000, not in the
    future: kefu.core.validators); else ValueError (422)."""
    if value is None:
        return None
    storable(value)
    if reason := why_not_past(value):
        raise ValueError(reason)
    return value


def storable(value):
    """VALUE if every database can store it: no NUL character in text (PostgreSQL refuses
    them), integers within 64 bits, moments that exist in UTC; else ValueError (422, naming
    the field). Lists, sets and dicts are checked item by item."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(_("must not contain NUL characters"))
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        if not BIGINT_MIN <= value <= BIGINT_MAX:
            raise ValueError(_("is out of range"))
    elif isinstance(value, datetime):
        try:  # stored in UTC: 0001-01-01T00:00+08:00 does not exist there
            (timezone.make_aware(value) if timezone.is_naive(value) else value).astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValueError(_("is out of range")) from None
    elif isinstance(value, dict):
        for k, v in value.items():
            storable(k)
            storable(v)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            storable(v)
    return value


class CheckedSchema(Schema):
    """Every field of every input passes `storable`."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value):
        return storable(value)


class InputSchema(CheckedSchema):
    """Inputs refuse unknown fields, so a typo is an error instead of silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


Id = Annotated[int, Field(ge=1, le=BIGINT_MAX)]
"""An id in a path or a query parameter of its own (schemas' fields are checked by `storable`)."""

Past = Annotated[datetime, AfterValidator(happened)]
"""The time of something that has already happened: after 2000, not in the future."""

Text = Annotated[str, AfterValidator(storable)]
"""A text query parameter of its own: no NUL characters."""

MAX_PAGE = 10**9
"""Beyond any table's size, and small enough that page × page size stays a 64-bit offset."""


class PageParams(CheckedSchema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1)


def versioned_changes(payload) -> tuple[int, dict]:
    """A PATCH body as (the version the client read, the fields it sent)."""
    changes = payload.dict(exclude_unset=True)
    return changes.pop("version"), changes


def paginate(qs, params: PageParams) -> dict:
    count, rows = page_of(qs, params.page, params.page_size)
    return page(count, rows, params) | {"count_exact": getattr(qs, "count_exact", True)}  # kefu.orders.services.WordSearch


def page(count: int, rows: list, params: PageParams) -> dict:
    return {"count": count, "page": params.page, "page_size": min(params.page_size, settings.KEFU_API_MAX_PAGE_SIZE),
            "results": rows}


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}
