from datetime import datetime

from ninja import Field, Schema

from kefu.core.api import InputSchema, PageParams, Past

from .models import Channel, Contact, IdentityVerification


class ContactIn(InputSchema):
    channel: Channel
    direction: Contact.Direction = Contact.Direction.INBOUND
    customer_id: int | None = None
    caller: str = Field("", max_length=100)
    summary: str = Field("", max_length=5000)
    started_at: Past | None = None


class ContactPatch(InputSchema):
    # Leave a field out to keep it. `T = None` fields may not be null (their column cannot hold it: 422, not 500).
    version: int = Field(description="the version you read; a stale one gets 409")
    customer_id: int | None = None
    summary: str = Field(None, max_length=5000)
    outcome: Contact.Outcome = None
    ended_at: Past | None = None


class VerificationOut(Schema):
    id: int
    method: str
    result: str
    at: datetime
    agent_id: int | None


class ContactOut(Schema):
    id: int
    channel: str
    direction: str
    started_at: datetime
    ended_at: datetime | None
    agent_id: int | None
    customer_id: int | None
    summary: str
    outcome: str
    verified: bool
    order_ids: list[int]
    version: int

    @staticmethod
    def resolve_verified(obj):
        return any(v.result == IdentityVerification.Result.PASSED for v in obj.verifications.all())

    @staticmethod
    def resolve_order_ids(obj):
        return [o.pk for o in obj.orders.all()]


class ContactFilters(PageParams):
    customer: int | None = None
    agent: int | None = None
    channel: Channel | None = None
    started_from: datetime | None = None
    started_to: datetime | None = None


class VerifyIn(InputSchema):
    method: IdentityVerification.Method
    secret: str = Field(min_length=1, max_length=64, description="what the caller said; checked, never stored")


class TouchIn(InputSchema):
    order_id: int
