"""HTTP ↔ privacy.services: PIPL data-subject requests."""

from datetime import datetime

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from kefu.contacts.models import Channel
from kefu.core.api import ERRORS, Id, InputSchema, Page, PageParams, Past, paginate
from kefu.customers.models import Customer

from . import services
from .models import PrivacyRequest

router = Router(tags=["privacy requests"])


class RequestIn(InputSchema):
    customer_id: int
    kind: PrivacyRequest.Kind
    channel: Channel
    details: str = Field("", max_length=10000, description="what the customer asked for, e.g. the corrections")
    received_at: Past | None = Field(None, description="default: now")
    identity_verified: PrivacyRequest.IdentityCheck | None = None


class RequestFilters(PageParams):
    status: PrivacyRequest.Status | None = None
    kind: PrivacyRequest.Kind | None = None
    customer: Id | None = Field(None, description="customer id")
    overdue: bool | None = Field(None, description="true: open requests past their due time")


class StartIn(InputSchema):
    version: int = Field(description="the version you read; a stale one gets 409")
    identity_verified: PrivacyRequest.IdentityCheck | None = Field(None, description="required unless given on receipt")


class CompleteIn(InputSchema):
    version: int
    outcome: str = Field(min_length=1, max_length=10000)


class RefuseIn(InputSchema):
    version: int
    reason: str = Field(min_length=1, max_length=10000, description="what the customer is told")


class Corrections(InputSchema):
    type: Customer.Type | None = None
    name: str | None = Field(None, min_length=1, max_length=100)
    id_type: Customer.IdType | None = None
    id_number: str | None = Field(None, min_length=1, max_length=40)
    phone: str | None = Field(None, max_length=20)
    alt_phone: str | None = Field(None, max_length=20)
    email: str | None = Field(None, max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address: str | None = Field(None, max_length=200)
    province: str | None = Field(None, min_length=1, max_length=20)
    city: str | None = Field(None, min_length=1, max_length=30)
    district: str | None = Field(None, max_length=30)


class CorrectIn(InputSchema):
    version: int
    changes: Corrections
    customer_version: int | None = Field(None, description="the customer file's version you read; default: the current one")
    note: str = Field("", max_length=5000)


class EraseIn(InputSchema):
    version: int
    note: str = Field("", max_length=5000)


class RequestOut(Schema):
    id: int
    number: str
    customer_id: int
    customer_no: str
    kind: str
    channel: str
    status: str
    received_at: datetime
    due_at: datetime
    overdue: bool
    identity_verified: str
    details: str
    outcome: str
    refusal_reason: str
    received_by_id: int
    handled_by_id: int | None
    completed_at: datetime | None
    version: int

    @staticmethod
    def resolve_customer_no(obj):
        return obj.customer.customer_no


@router.get("/requests", response={200: Page[RequestOut], **ERRORS})
def list_requests(request, filters: Query[RequestFilters]):
    """Soonest due first; `overdue=true` lists the open ones past their due time."""
    return paginate(services.requests(request.user, **filters.dict(exclude={"page", "page_size"})), filters)


@router.post("/requests", response={201: RequestOut, **ERRORS})
def open_request(request, payload: RequestIn):
    return Status(201, services.open_request(request.user, **payload.dict()))


@router.get("/requests/{int:request_id}", response={200: RequestOut, **ERRORS})
def get_request(request, request_id: Id):
    return services.get_request(request.user, request_id)


@router.post("/requests/{int:request_id}/start", response={200: RequestOut, **ERRORS})
def start(request, request_id: Id, payload: StartIn):
    return services.start(request.user, request_id, **payload.dict())


@router.post("/requests/{int:request_id}/complete", response={200: RequestOut, **ERRORS})
def complete(request, request_id: Id, payload: CompleteIn):
    return services.complete(request.user, request_id, **payload.dict())


@router.post("/requests/{int:request_id}/refuse", response={200: RequestOut, **ERRORS})
def refuse(request, request_id: Id, payload: RefuseIn):
    return services.refuse(request.user, request_id, **payload.dict())


@router.post("/requests/{int:request_id}/correct", response={200: RequestOut, **ERRORS})
def correct(request, request_id: Id, payload: CorrectIn):
    """Apply the corrections to the customer file and complete the request."""
    data = payload.dict()
    data["changes"] = payload.changes.dict(exclude_unset=True)
    return services.correct(request.user, request_id, **data)


@router.post("/requests/{int:request_id}/erase", response={200: RequestOut, **ERRORS})
def erase(request, request_id: Id, payload: EraseIn):
    """Delete or anonymise what lawful retention allows and complete the request."""
    return services.erase(request.user, request_id, **payload.dict())


@router.get("/requests/{int:request_id}/export", response={200: dict, **ERRORS})
def export(request, request_id: Id):
    """Everything about the customer as JSON (audited as an export)."""
    return services.export(request.user, request_id)


@router.get("/requests/{int:request_id}/export.html", response=ERRORS,
            openapi_extra={"responses": {200: {"description": "HTML document", "content": {"text/html": {}}}}})
def export_document(request, request_id: Id):
    """The same as a readable document to hand or send to the customer (audited as an export)."""
    req, html = services.export_document(request.user, request_id)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{req.number}.html"'
    # A document in one file, to keep or send: its own style sheet, and nothing else may run or load.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
    return response
