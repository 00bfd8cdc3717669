"""HTTP ↔ audit.services: the auditors' search of the access and change log."""

from datetime import datetime

from ninja import Field, Query, Router, Schema

from kefu.core.api import ERRORS, Page, PageParams, paginate

from . import services
from .models import AuditEntry

router = Router(tags=["audit"])


class AuditFilters(PageParams):
    actor: int | None = Field(None, description="user id")
    action: AuditEntry.Action | None = None
    object_type: str | None = Field(None, description="e.g. customers.customer")
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    sort: str = Field("-seq", description="at, -at, seq or -seq")


class AuditOut(Schema):
    id: int
    seq: int | None
    at: datetime
    actor_id: int | None
    actor: str | None
    action: str
    object_type: str
    object_id: str
    fields: list
    reason: str
    origin: str
    hash: str

    @staticmethod
    def resolve_actor(obj):
        return obj.actor.username if obj.actor else None


@router.get("", response={200: Page[AuditOut], **ERRORS})
def search(request, filters: Query[AuditFilters]):
    """Who created, changed, read or exported what, when and from where (auditors, supervisors)."""
    return paginate(services.search(request.user, **filters.dict(exclude={"page", "page_size"})), filters)
