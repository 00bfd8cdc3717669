"""Customers with their account and 1–3 subscriptions; people and companies from all over China."""

import datetime as dt

from django.contrib.auth.hashers import make_password

from kefu.customers.models import Account, Customer, Segment, Subscription
from kefu.customers.services import customer_number

from .draws import Weighted, choice, randint, randrange
from .identity import (
    landline_local,
    mobile_number,
    person_name,
    resident_id,
    scramble,
    social_credit_code,
    unique,
)
from .params import CHUNK, DEMO_SERVICE_PASSWORD
from .words import (
    BROADBAND_PLANS,
    COMPANY_BRANDS,
    ENTERPRISE_BROADBAND,
    ESTATES,
    FIXED_PLANS,
    GOV_UNITS,
    INDUSTRIES,
    MOBILE_PLANS,
    REGIONS,
    SENIOR_PLANS,
    STREETS,
    VAS_NAMES,
    VAS_PLANS,
    YOUTH_PLANS,
)

Product = Subscription.Product


class CustomerInfo:
    """What order generation needs to know about a generated customer."""

    __slots__ = ("pk", "name", "type", "segment", "phone", "email", "province", "city", "district", "area",
                 "since", "subs")

    def __init__(self, pk):
        self.pk = pk
        self.subs = {}  # product -> pk of the customer's first live subscription of it


REGION_PICK = Weighted([(r, r[1]) for r in REGIONS])


def _individual(ctx, c, region):
    """Name, ID number and segment of a person; segment follows age where it can."""
    rng = ctx.rng
    male = rng.random() < 0.5
    birth = dt.date(randint(rng, 1945, ctx.anchor.year - 18), 1, 1) + dt.timedelta(days=randrange(rng, 365))
    age = ctx.anchor.year - birth.year
    c.segment = Segment.ORDINARY
    if age >= 62 and rng.random() < 0.6:
        c.segment = Segment.SENIOR
    elif age <= 24 and rng.random() < 0.5:
        c.segment = Segment.YOUTH
    elif rng.random() < 0.08:
        c.segment = Segment.VIP
    c.type, c.name = Customer.Type.INDIVIDUAL, person_name(rng, male)
    seq = randrange(rng, 500) * 2 + (1 if male else 0)  # odd = male, as on real cards
    return Customer.IdType.RESIDENT_ID, resident_id(region, birth, seq)


def _enterprise(ctx, c, region):
    rng = ctx.rng
    c.type = Customer.Type.ENTERPRISE
    if rng.random() < 0.2:
        c.name, c.segment = f"{c.city}{c.district}{choice(rng, GOV_UNITS)}", Segment.GOVERNMENT
        return Customer.IdType.BUSINESS_LICENCE, social_credit_code(rng, "11", region)
    suffix = "股份有限公司" if rng.random() < 0.1 else "有限公司"
    c.name = f"{c.city.removesuffix('市')}{choice(rng, COMPANY_BRANDS)}{choice(rng, INDUSTRIES)}{suffix}"
    c.segment = Segment.ENTERPRISE
    return Customer.IdType.BUSINESS_LICENCE, social_credit_code(rng, "91", region)


def _customer(ctx, password_hash, taken) -> CustomerInfo:
    rng = ctx.rng
    c = CustomerInfo(ctx.take_id(Customer))
    c.province, _weight, cities = REGION_PICK.pick(rng)
    c.city, city_code, c.area, districts = choice(rng, cities)
    c.district, district_code = choice(rng, districts)
    if rng.random() < 0.06:
        id_type, id_number = _enterprise(ctx, c, city_code + district_code)
        address = f"{choice(rng, STREETS)}{randint(rng, 1, 399)}号{choice(rng, COMPANY_BRANDS)}大厦{randint(rng, 2, 30)}层"
    else:
        id_type, id_number = _individual(ctx, c, city_code + district_code)
        address = (f"{choice(rng, STREETS)}{randint(rng, 1, 399)}号{choice(rng, ESTATES)}{randint(rng, 1, 28)}栋"
                   f"{randint(rng, 1, 4)}单元{randint(rng, 1, 30)}{randint(rng, 1, 4):02d}室")
    # Derived from the id, so later runs never reuse a number; `taken` guards against hand-made rows.
    c.phone = unique(lambda a: mobile_number(c.pk, a), taken)
    c.since = ctx.daytime(ctx.horizon - dt.timedelta(days=randint(rng, 30, 3650)))
    c.email = ""
    if rng.random() < 0.3:
        c.email = choice(rng, [f"{c.phone}@139.com", f"{randint(rng, 10**5, 10**10)}@qq.com", f"{c.phone}@163.com"])
    # Indexes 2·10^9 and up are nobody's main number (customer ids and second lines stay below).
    alt_phone = mobile_number(randrange(rng, 2 * 10**9, 3 * 10**9)) if rng.random() < 0.15 else ""
    status = Customer.Status.INACTIVE if rng.random() < 0.02 else Customer.Status.ACTIVE
    since = ctx.ts(c.since)
    # Written as Customer.save would: identity encrypted, with its blind indexes (kefu.core.crypto).
    enc, bidx = ctx.sealer.encrypt, ctx.sealer.blind_index
    ctx.rows(Customer).append((c.pk, since, since, 1, customer_number(c.pk), c.type, c.name, id_type,
                               enc(id_number, "customers.customer.id_number"), enc(c.phone, "customers.customer.phone"),
                               enc(alt_phone, "customers.customer.alt_phone"), c.email,
                               enc(address, "customers.customer.address"), c.province, c.city, c.district, c.segment,
                               status, password_hash, bidx(id_number, "id_number"), bidx(c.phone, "phone"),
                               bidx(alt_phone, "phone"), ctx.key_id))
    return c


def _account(ctx, c) -> int:
    rng = ctx.rng
    pk = ctx.take_id(Account)
    billing = Account.Billing.PREPAID if rng.random() < 0.3 else Account.Billing.POSTPAID
    status = Account.Status.IN_ARREARS if rng.random() < 0.04 else Account.Status.ACTIVE
    since = ctx.ts(c.since)
    ctx.rows(Account).append((pk, since, since, 1, f"A{pk:010d}", c.pk, c.name, billing, status))
    return pk


def _service_number(ctx, c, product, pk, first, taken):
    """(number, plan) of a new subscription; numbers derive from the subscription id."""
    rng = ctx.rng
    enterprise = c.type == Customer.Type.ENTERPRISE
    if product == Product.MOBILE:
        plans = {Segment.SENIOR: SENIOR_PLANS, Segment.YOUTH: YOUTH_PLANS}.get(c.segment, MOBILE_PLANS)
        number = c.phone if first or enterprise else unique(lambda a: mobile_number(10**9 + pk, a), taken)
        return number, choice(rng, plans)
    if product == Product.BROADBAND:
        number = unique(lambda a: f"ad{c.area}{scramble(pk + a * 10**7, 10**8, 31_415_926):08d}", taken)
        return number, choice(rng, ENTERPRISE_BROADBAND if enterprise else BROADBAND_PLANS)
    if product == Product.FIXED_LINE:
        return unique(lambda a: c.area + landline_local(pk + a * 10**6), taken), choice(rng, FIXED_PLANS)
    # Value-added services hang off a line but need a number of their own (unique while live).
    vas = choice(rng, VAS_NAMES)
    return unique(lambda a: f"VA{scramble(pk + a * 10**7, 10**10, 16_180_339):010d}", taken), f"{vas} {VAS_PLANS[vas]}"


def _subscriptions(ctx, c, account, taken):
    """1–3 subscriptions: individuals start with their mobile, enterprises with a fixed line."""
    rng = ctx.rng
    if c.type == Customer.Type.ENTERPRISE:
        products = [Product.FIXED_LINE, Product.BROADBAND, Product.MOBILE]
    else:
        products = [Product.MOBILE, Product.BROADBAND, Product.VALUE_ADDED if rng.random() < 0.6 else Product.FIXED_LINE]
    for i, product in enumerate(products[:choice(rng, [1, 2, 2, 3, 3])]):
        pk = ctx.take_id(Subscription)
        number, plan = _service_number(ctx, c, product, pk, i == 0, taken)
        opened = c.since
        if i:
            opened = ctx.daytime(c.since + dt.timedelta(days=randint(rng, 1, max(1, (ctx.horizon - c.since).days - 1))))
            opened = min(opened, ctx.horizon - dt.timedelta(hours=1))
        opened_on = opened.date()
        status, terminated_on = _subscription_status(ctx, opened_on)
        if status != Subscription.Status.TERMINATED and product not in c.subs:
            c.subs[product] = pk
            ctx.by_product[product].append(c)
        ctx.rows(Subscription).append((pk, ctx.ts(opened), ctx.ts(opened), 1, number, c.pk, account, product, plan,
                                       status, ctx.day(opened_on), ctx.day(terminated_on), c.province, c.city,
                                       _area(pk)))


def _area(pk: int) -> str:
    """About one line in seven is rural (longer statutory repair time); derived from the id so
    the random stream, and with it every other value, stays as it was."""
    return Subscription.Area.RURAL if (pk * 7919) % 7 == 0 else Subscription.Area.URBAN


def _subscription_status(ctx, opened_on):
    r = ctx.rng.random()
    if r < 0.04:
        last = ctx.anchor - dt.timedelta(days=1)
        day = opened_on + dt.timedelta(days=randint(ctx.rng, 1, max(1, (last - opened_on).days)))
        return Subscription.Status.TERMINATED, max(opened_on, min(day, last))
    if r < 0.07:
        return Subscription.Status.SUSPENDED, None
    return Subscription.Status.ACTIVE, None


def make_customers(ctx, count):
    # One hash for all: make_password per customer would take minutes. A salt derived from the
    # seed keeps runs identical; the password is public anyway (demo customers only).
    password_hash = make_password(DEMO_SERVICE_PASSWORD, salt=f"kefudemo{ctx.seed}")
    taken = set(Subscription.objects.exclude(status=Subscription.Status.TERMINATED)
                .values_list("service_number", flat=True))
    for n in range(count):
        c = _customer(ctx, password_hash, taken)
        _subscriptions(ctx, c, _account(ctx, c), taken)
        ctx.customers.append(c)
        if n % CHUNK == CHUNK - 1:
            ctx.flush()
    ctx.flush()
