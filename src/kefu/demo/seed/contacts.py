"""Contacts (接触记录): the one that raised each work order, and those answered at first contact,
with the identity checks an agent makes before touching the account."""

import datetime as dt

from kefu.contacts.models import Channel, Contact, ContactOrder, IdentityVerification
from kefu.orders.models import Kind

from .draws import choice, randint, randrange
from .params import DAY, VERIFY_METHODS, WINDOW_DAYS
from .values import Values, fill
from .words import ANSWERED, CHANNEL_OPENERS, KIND_VERBS


def _caller(rng, channel, customer):
    if channel in (Channel.HOTLINE, Channel.ONLINE_CHAT, Channel.SELF_SERVICE, Channel.ACCOUNT_MANAGER):
        return customer.phone
    if channel == Channel.EMAIL:
        return customer.email or f"{customer.phone}@139.com"
    if channel == Channel.WECHAT:
        return f"wx_{rng.getrandbits(48):012x}"
    if channel == Channel.SOCIAL_MEDIA:
        return f"@微博用户{randint(rng, 10**6, 10**7)}"
    return ""


def _contact(ctx, customer, channel, agent, started, ended, summary, outcome) -> int:
    rng, ts = ctx.rng, ctx.ts
    pk = ctx.take_id(Contact)
    start_ts, end_ts = ts(started), ts(ended)
    ctx.rows(Contact).append((pk, start_ts, end_ts, 1, channel, Contact.Direction.INBOUND, start_ts, end_ts,
                              agent, customer.pk, ctx.sealer.encrypt(_caller(rng, channel, customer), "contacts.contact.caller"),
                              summary, outcome, ctx.key_id))
    # The agent verifies identity before touching the account (REQUIREMENTS.md §3).
    if channel in (Channel.HOTLINE, Channel.ONLINE_CHAT, Channel.WECHAT) and rng.random() < 0.4:
        at = started + dt.timedelta(seconds=randint(rng, 20, 90))
        if rng.random() < 0.05:  # a forgotten service password, then an SMS code
            ctx.rows(IdentityVerification).append((ctx.take_id(IdentityVerification), pk,
                                                   IdentityVerification.Method.SERVICE_PASSWORD,
                                                   IdentityVerification.Result.FAILED, ts(at), agent, "", None))
            at += dt.timedelta(seconds=randint(rng, 30, 90))
            method = IdentityVerification.Method.SMS_CODE
        else:
            method = VERIFY_METHODS.pick(rng)
        ctx.rows(IdentityVerification).append((ctx.take_id(IdentityVerification), pk, method,
                                               IdentityVerification.Result.PASSED, ts(at), agent, "", None))
    return pk


def order_contact(ctx, order, customer, created, settled=None):
    """The contact that raised ORDER. Its summary names the order's number, not known while the
    order's id is provisional: (provisional id, text before the number, text after), completed by
    orders.Parked. SETTLED: when the order was resolved on this contact, which ends soon after."""
    rng = ctx.rng
    started = created - dt.timedelta(seconds=randint(rng, 60, 900))
    ended = (settled or created) + dt.timedelta(seconds=randint(rng, 30, 300))
    summary = (order.pk, f"{CHANNEL_OPENERS[order.channel]}{KIND_VERBS[order.kind]}：{order.title}。已登记工单", "。")
    contact = _contact(ctx, customer, order.channel, order.owner_id, started, ended, summary,
                       Contact.Outcome.ORDER_CREATED)
    ctx.rows(ContactOrder).append((ctx.take_id(ContactOrder), contact, order.pk, ContactOrder.Role.RAISED))


def answered_contact(ctx, factory):
    """A contact answered at first contact: no work order."""
    rng = ctx.rng
    customer = ctx.customers[randrange(rng, len(ctx.customers))]
    channel = factory.channel(Kind.CONSULTATION, customer)
    started = ctx.daytime(ctx.window_start + dt.timedelta(days=randrange(rng, WINDOW_DAYS)))
    if started > ctx.horizon - dt.timedelta(minutes=10):  # later today than the horizon
        started -= DAY
    ended = started + dt.timedelta(seconds=randint(rng, 60, 600))
    summary = fill(choice(rng, ANSWERED), Values(ctx, customer, started))
    _contact(ctx, customer, channel, factory.owner(channel), started, ended, summary, Contact.Outcome.ANSWERED)
