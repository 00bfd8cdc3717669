from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.fields import BlindIndexField, EncryptedFieldsMixin, EncryptedTextField, KeyIdField
from kefu.core.masking import (
    mask_address,
    mask_email,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_service_number,
)
from kefu.core.models import VersionedModel


class Segment(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary")
    VIP = "vip", _("VIP")
    ENTERPRISE = "enterprise", _("Enterprise")
    GOVERNMENT = "government", _("Government")
    YOUTH = "youth", _("Youth")
    SENIOR = "senior", _("Senior")


class Customer(EncryptedFieldsMixin, VersionedModel):
    class Type(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        ENTERPRISE = "enterprise", _("Enterprise")

    class IdType(models.TextChoices):
        RESIDENT_ID = "resident_id", _("Resident identity card")
        PASSPORT = "passport", _("Passport")
        HK_MACAO_PERMIT = "hk_macao_permit", _("Mainland travel permit for Hong Kong and Macao residents")
        TAIWAN_PERMIT = "taiwan_permit", _("Mainland travel permit for Taiwan residents")
        FOREIGNER_PR = "foreigner_pr", _("Foreign permanent resident ID card")
        BUSINESS_LICENCE = "business_licence", _("Unified social credit code")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")
        # A caller who could not be identified (decision 0023): a file with the name and number
        # they gave, holding their consultations and complaints until it is matched to a real
        # file (customers.services.match_caller), which then retires it.
        PROVISIONAL = "provisional", _("Unidentified caller")
        MATCHED = "matched", _("Matched to a customer file")

    customer_no = models.CharField(_("customer number"), max_length=20, unique=True)
    type = models.CharField(_("type"), max_length=12, choices=Type.choices, default=Type.INDIVIDUAL)
    name = models.CharField(_("name"), max_length=100, db_index=True)
    id_type = models.CharField(_("ID type"), max_length=20, choices=IdType.choices, default=IdType.RESIDENT_ID)
    # Encrypted at rest (kefu.core.crypto); exact lookups go through the blind indexes below.
    id_number = EncryptedTextField(_("ID number"), max_chars=40)
    phone = EncryptedTextField(_("contact phone"), max_chars=20)
    alt_phone = EncryptedTextField(_("other phone"), max_chars=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = EncryptedTextField(_("address"), max_chars=200, blank=True)
    id_number_bidx = BlindIndexField(source="id_number", purpose="id_number")
    phone_bidx = BlindIndexField(source="phone", purpose="phone")
    alt_phone_bidx = BlindIndexField(source="alt_phone", purpose="phone")
    key_id = KeyIdField()
    province = models.CharField(_("province"), max_length=20, db_index=True)
    city = models.CharField(_("city"), max_length=30, db_index=True)
    district = models.CharField(_("district"), max_length=30, blank=True)
    segment = models.CharField(_("segment"), max_length=12, choices=Segment.choices, default=Segment.ORDINARY, db_index=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    service_password_hash = models.CharField(_("service password"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [("view_identity", _("Can see unmasked real-name identity data"))]

    def __str__(self):
        # Shown in lists, links and logs: masked.
        return f"{self.customer_no} {self.masked_name}"

    @property
    def is_provisional(self) -> bool:
        """An unidentified caller's file, not a subscriber's (decision 0023)."""
        return self.status == self.Status.PROVISIONAL

    # Identity as it leaves the database for anyone (REQUIREMENTS.md §9); the one place that
    # says how each field of a customer is masked: API, admin, pages, __str__.
    @property
    def masked_name(self) -> str:
        # An enterprise's name is public (its licence); a person's is personal data.
        return self.name if self.type == self.Type.ENTERPRISE else mask_name(self.name)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_alt_phone(self) -> str:
        return mask_phone(self.alt_phone)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_email(self) -> str:
        # Often the mobile number itself (15096338319@139.com).
        return mask_email(self.email)

    @property
    def masked_address(self) -> str:
        # A street address without its region still shows where: the file's own district.
        shown = mask_address(self.address)
        if shown == "****" and (self.city or self.district):
            return f"{self.province}{self.city}{self.district}****"
        return shown

    def set_service_password(self, raw: str) -> None:
        self.service_password_hash = make_password(raw)

    def check_service_password(self, raw: str) -> bool:
        return bool(self.service_password_hash) and check_password(raw, self.service_password_hash)


class Account(VersionedModel):
    class Billing(models.TextChoices):
        PREPAID = "prepaid", _("Prepaid")
        POSTPAID = "postpaid", _("Postpaid")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        IN_ARREARS = "in_arrears", _("In arrears")
        CLOSED = "closed", pgettext_lazy("account status", "Closed")

    account_no = models.CharField(_("account number"), max_length=20, unique=True)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="accounts")
    name = models.CharField(_("name"), max_length=100, blank=True)
    billing = models.CharField(_("billing"), max_length=10, choices=Billing.choices, default=Billing.POSTPAID)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self):
        return self.account_no

    @property
    def masked_name(self) -> str:
        # Usually the holder's own name (张三, 张三的家庭账户): masked as the customer's is.
        return self.name if self.customer.type == Customer.Type.ENTERPRISE else mask_name(self.name)


class Subscription(VersionedModel):
    class Product(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        BROADBAND = "broadband", _("Broadband")
        FIXED_LINE = "fixed_line", _("Fixed line")
        VALUE_ADDED = "value_added", _("Value-added service")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        TERMINATED = "terminated", _("Terminated")

    class Area(models.TextChoices):
        # Fault repair limits differ (电信条例 art. 33: 48 h in cities, 72 h in rural areas).
        URBAN = "urban", _("City")
        RURAL = "rural", _("Rural")

    service_number = models.CharField(_("service number"), max_length=40, db_index=True)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="subscriptions")
    account = models.ForeignKey(Account, verbose_name=_("account"), null=True, blank=True, on_delete=models.PROTECT, related_name="subscriptions")
    product = models.CharField(_("product type"), max_length=12, choices=Product.choices)
    plan = models.CharField(_("plan"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    opened_on = models.DateField(_("opened on"))
    terminated_on = models.DateField(_("terminated on"), null=True, blank=True)
    province = models.CharField(_("province"), max_length=20)
    city = models.CharField(_("city"), max_length=30)
    area = models.CharField(_("area"), max_length=10, choices=Area.choices, default=Area.URBAN)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            # A number is reused after termination, but only one live subscription holds it.
            models.UniqueConstraint(fields=["service_number"], condition=~models.Q(status="terminated"), name="uniq_live_service_number"),
        ]

    def __str__(self):
        # Shown in lists, links and logs: masked, as a mobile or fixed-line number is the customer's phone.
        return self.masked_service_number

    @property
    def masked_service_number(self) -> str:
        return mask_service_number(self.service_number)


class RevealReason(models.Model):
    """Why someone unmasks a customer's identity data (customers.services.reveal_identity): a
    list administrators keep, so that every reveal is audited with a stable code and can be
    counted by reason. Codes never change once used; retire a reason by deactivating it."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    needs_text = models.BooleanField(_("needs an explanation"), default=False,
                                     help_text=_("The person revealing must also say why in their own words."))
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("identity reveal reason")
        verbose_name_plural = _("identity reveal reasons")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return f"{self.code} ({self.name})"


