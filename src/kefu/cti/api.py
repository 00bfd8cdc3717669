"""The hotline's API: the telephone platform's signed call events (docs/cti.md) and the call
records for staff."""

from datetime import datetime

from ninja import Query, Router, Schema

from kefu.core.api import ERRORS, CheckedSchema, Page, PageParams, Text, paginate
from kefu.core.masking import mask_phone

from . import services

router = Router(tags=["cti"])


class CtiReceiptOut(Schema):
    event_id: int
    call_id: str
    outcome: str
    duplicate: bool


class CtiCallOut(Schema):
    call_id: str
    platform: str
    state: str
    caller: str
    called: str
    ivr_path: list[str]
    self_service: bool
    verified_in_ivr: bool
    queue: str
    extension: str
    agent_id: int | None
    customer_id: int | None
    contact_id: int | None
    offered_at: datetime | None
    queued_at: datetime | None
    ringing_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    acw_ended_at: datetime | None
    wait_seconds: int | None
    ring_seconds: int | None
    talk_seconds: int | None
    hold_seconds: int
    acw_seconds: int | None
    ended_by: str
    abandoned: bool
    abandoned_in: str
    transfers: int
    has_recording: bool
    survey_score: int | None
    survey_scale: int | None

    @staticmethod
    def resolve_platform(call) -> str:
        return call.platform.code

    @staticmethod
    def resolve_caller(call) -> str:
        return mask_phone(call.caller)  # the full number is the customer file's, revealed there

    @staticmethod
    def resolve_has_recording(call) -> bool:
        return bool(call.recording_ref)  # opening it needs its own permission (a later slice)


class CtiCallFilters(CheckedSchema):
    state: Text | None = None
    agent: int | None = None
    queue: Text | None = None
    abandoned: bool | None = None


@router.post("/events", auth=None, response={200: CtiReceiptOut, **ERRORS})
def receive_event(request):
    """One call event from a telephone platform (interface version 1, docs/cti.md), signed with
    the platform's secret: X-Kefu-Platform, X-Kefu-Timestamp (Unix seconds) and X-Kefu-Signature
    (hex HMAC-SHA256 of "<timestamp>." + the body). No staff token: the signature authenticates.
    401 if refused (not stored), 422 naming each field if invalid (kept as invalid), 200 with
    `duplicate` true for a repeat of an applied event."""
    receipt = services.receive(request.headers.get("X-Kefu-Platform", ""), request.body,
                               request.headers.get("X-Kefu-Signature", ""), request.headers.get("X-Kefu-Timestamp", ""))
    return receipt.__dict__


@router.get("/calls", response={200: Page[CtiCallOut], **ERRORS})
def list_calls(request, filters: Query[CtiCallFilters], params: Query[PageParams]):
    """Call records, newest first: one's own with cti.view_call, the data scope's with
    cti.view_any_call."""
    return paginate(services.calls(request.user, **filters.dict()), params)


@router.get("/calls/{call_id}", response={200: CtiCallOut, **ERRORS})
def get_call(request, call_id: str, platform: str = ""):
    """One call record by the platform's call id (and the platform's code, when two platforms
    used the same id)."""
    return services.get_call(request.user, call_id, platform=platform)
