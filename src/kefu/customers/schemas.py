from datetime import date, datetime

from ninja import Field, Schema
from pydantic import field_validator

from kefu.core.api import InputSchema, PageParams

from . import validators
from .models import Account, Customer, Segment, Subscription


def _phone(v):
    return validators.phone_number(v) if v else v


class CustomerIn(InputSchema):
    type: Customer.Type = Customer.Type.INDIVIDUAL
    name: str = Field(min_length=1, max_length=100)
    id_type: Customer.IdType = Customer.IdType.RESIDENT_ID
    id_number: str = Field(min_length=1, max_length=40)
    phone: str = Field(max_length=20)
    alt_phone: str = Field("", max_length=20)
    email: str = Field("", max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address: str = Field("", max_length=200)
    province: str = Field(min_length=1, max_length=20)
    city: str = Field(min_length=1, max_length=30)
    district: str = Field("", max_length=30)
    segment: Segment = Segment.ORDINARY
    service_password: str | None = Field(None, description="6 digits; stored only as a hash")

    _check_phone = field_validator("phone", "alt_phone")(_phone)

    @field_validator("service_password")
    @classmethod
    def _check_password(cls, v):
        return validators.service_password(v) if v is not None else v


class CustomerPatch(InputSchema):
    # Leave a field out to keep it. `T = None` fields may not be null (their column cannot hold it: 422, not 500).
    version: int = Field(description="the version you read; a stale one gets 409")
    type: Customer.Type = None
    name: str = Field(None, min_length=1, max_length=100)
    id_type: Customer.IdType = None
    id_number: str = Field(None, min_length=1, max_length=40)
    phone: str = Field(None, max_length=20)
    alt_phone: str = Field(None, max_length=20)
    email: str = Field(None, max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address: str = Field(None, max_length=200)
    province: str = Field(None, min_length=1, max_length=20)
    city: str = Field(None, min_length=1, max_length=30)
    district: str = Field(None, max_length=30)
    segment: Segment = None
    status: Customer.Status = None
    service_password: str | None = None

    _check_phone = field_validator("phone", "alt_phone")(_phone)

    @field_validator("service_password")
    @classmethod
    def _check_password(cls, v):
        return validators.service_password(v) if v is not None else v


class CallerIn(InputSchema):
    """An unidentified caller (decision 0023): what they say their name is, their number."""

    name: str = Field(min_length=1, max_length=100)
    phone: str = Field(min_length=1, max_length=40, description="a mobile or fixed-line number, as typed")
    contact_id: int = Field(description="the contact in progress with them, which has no customer yet")


class MatchIn(InputSchema):
    customer_id: int = Field(description="the customer file the unidentified caller turned out to have")


class CustomerOut(Schema):
    """Identity and contact data masked; GET /customers/{id}/identity reveals it (audited). The
    model says how each field is masked (Customer.masked_*): each *_masked reads one."""

    id: int
    customer_no: str
    type: str
    name_masked: str = Field(alias="masked_name")
    id_type: str
    id_number_masked: str = Field(alias="masked_id_number")
    phone_masked: str = Field(alias="masked_phone")
    alt_phone_masked: str = Field(alias="masked_alt_phone")
    address_masked: str = Field(alias="masked_address")
    email_masked: str = Field(alias="masked_email")
    province: str
    city: str
    district: str
    segment: str
    status: str
    has_service_password: bool
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_has_service_password(obj):
        return bool(obj.service_password_hash)


class RevealedNumber(Schema):
    id: int
    service_number: str
    product: str
    status: str


class IdentityOut(Schema):
    id: int
    customer_no: str
    name: str
    id_type: str
    id_number: str
    phone: str
    alt_phone: str
    address: str
    email: str
    subscriptions: list[RevealedNumber] = Field(alias="revealed_subscriptions", description="the service numbers, unmasked")


class RevealReasonOut(Schema):
    code: str
    name: str
    name_en: str
    needs_text: bool = Field(description="`reason` (free text) is required with this code")


class CustomerFilters(PageParams):
    q: str | None = Field(None, description="customer number, phone or ID number exactly, or the start of the name")
    phone: str | None = None
    id_number: str | None = None
    customer_no: str | None = None
    segment: Segment | None = None
    province: str | None = None
    city: str | None = None


class AccountIn(InputSchema):
    customer_id: int
    name: str = Field("", max_length=100)
    billing: Account.Billing = Account.Billing.POSTPAID


class AccountOut(Schema):
    id: int
    account_no: str
    customer_id: int
    name_masked: str = Field(alias="masked_name")
    billing: str
    status: str
    version: int


class SubscriptionIn(InputSchema):
    customer_id: int
    account_id: int | None = None
    service_number: str = Field(min_length=3, max_length=40)
    product: Subscription.Product
    plan: str = Field("", max_length=100)
    status: Subscription.Status = Subscription.Status.ACTIVE
    area: Subscription.Area = Subscription.Area.URBAN
    opened_on: date
    province: str | None = Field(None, min_length=1, max_length=20)
    city: str | None = Field(None, min_length=1, max_length=30)


class SubscriptionPatch(InputSchema):
    # Leave a field out to keep it. `T = None` fields may not be null (their column cannot hold it: 422, not 500).
    version: int
    plan: str = Field(None, max_length=100)
    status: Subscription.Status = None
    terminated_on: date | None = None


class SubscriptionOut(Schema):
    """The service number masked (a mobile or fixed-line number is the customer's phone);
    GET /customers/{id}/identity reveals it."""

    id: int
    service_number_masked: str = Field(alias="masked_service_number")
    customer_id: int
    account_id: int | None
    product: str
    plan: str
    status: str
    opened_on: date
    terminated_on: date | None
    province: str
    city: str
    area: str
    version: int


class SubscriptionFilters(PageParams):
    customer: int | None = None
    service_number: str | None = None
    product: Subscription.Product | None = None
    status: Subscription.Status | None = None
