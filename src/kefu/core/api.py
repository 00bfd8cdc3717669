"""API plumbing shared by the apps' routers: pagination and the error body schema."""

from django.conf import settings
from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict


class Page[T](BaseModel):
    count: int
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


class InputSchema(Schema):
    """Inputs refuse unknown fields, so a typo is an error instead of silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PageParams(Schema):
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1)


def versioned_changes(payload) -> tuple[int, dict]:
    """A PATCH body as (the version the client read, the fields it sent)."""
    changes = payload.dict(exclude_unset=True)
    return changes.pop("version"), changes


def paginate(qs, params: PageParams) -> dict:
    size = min(params.page_size, settings.KEFU_API_MAX_PAGE_SIZE)
    start = (params.page - 1) * size
    return {"count": qs.count(), "page": params.page, "page_size": size, "results": list(qs[start:start + size])}


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}
