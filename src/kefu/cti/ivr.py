"""The IVR menu (语音导航菜单) and what callers did in it.

The telephone platform runs the menu; Kefu keeps it as configuration for reference and reports
(IvrNode): each entry's key at its parent menu, its key path from the top, its prompt and where
it leads. `save_node` checks and saves an entry (the admin's way too), `install_default_menu`
gives a platform a telecom operator's usual menu, `menu_today` counts the calls that went
through each entry today.

What callers served themselves with (balance, bill, fault report …) comes in "ivr" events with
a `service` and is folded into Call.self_services (fold.py); `sync_self_service` records each
use once as a hotline contact without an agent and, for a fault report of a caller matched to
a customer, registers a fault work order as the IVR's system user."""

import logging
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.contacts.models import Channel, Contact
from kefu.core.errors import ServiceError, ValidationFailed
from kefu.core.services import require, unique_write

from .models import Call, IvrNode, Platform, SelfServiceUse

log = logging.getLogger(__name__)

KEYS = "0123456789*#"
MAX_PATH = 40  # IvrNode.path, and the keys an "ivr" event reports
TITLE_CHARS = 60  # of the caller's fault description, as the order's title

IVR_USERNAME = "ivr"
IVR_DISPLAY_NAME = "语音导航"  # a name, as the portal's system user's: data, not a translation

Target, Service = IvrNode.Target, IvrNode.Service

# The field each target needs; a self-service may also name the queue the caller goes to next
# (a fault report, then the fault desk).
_NEEDS: dict[str, str] = {Target.QUEUE: "queue", Target.SELF_SERVICE: "service", Target.AGENT: "extension"}
_REQUIRED = {
    "queue": lambda: _("is required for an entry that leads to a queue"),
    "service": lambda: _("is required for a self-service entry"),
    "extension": lambda: _("is required for an entry that leads to an agent"),
}


# --- the menu as configuration ------------------------------------------------------------------

def node_errors(node: IvrNode) -> dict[str, str]:
    """{field: reason} of what is wrong with NODE as it would be saved (empty: nothing): the key
    one of 0–9, * and #, once per menu; the parent a menu of the same platform, not under NODE;
    the fields its target needs given and the others empty; an entry with entries under it stays
    a menu; no key path longer than MAX_PATH keys."""
    errors: dict[str, str] = {}
    if len(node.key or "") != 1 or node.key not in KEYS:
        errors["key"] = _("must be one key: 0–9, * or #")
    parent = node.parent if node.parent_id else None
    old = _stored(node)
    if parent is not None:
        if parent.platform_id != node.platform_id:
            errors["parent"] = _("belongs to another telephone platform")
        elif parent.target != Target.MENU:
            errors["parent"] = _("is not a menu")
        elif old is not None and (parent.pk == node.pk or parent.path.startswith(old.path)):
            errors["parent"] = _("lies under this entry")
    needed = _NEEDS.get(node.target)
    for name in ("queue", "service", "extension"):
        value = (getattr(node, name) or "").strip()
        if name == needed and not value:
            errors[name] = _REQUIRED[name]()
        elif name != needed and value and not (node.target == Target.SELF_SERVICE and name == "queue"):
            errors[name] = _("must be empty: the entry leads to %(target)s") % {"target": node.get_target_display()}
    if old is not None:
        below = IvrNode.objects.filter(platform_id=old.platform_id, path__startswith=old.path).exclude(pk=node.pk)
        deepest = below.aggregate(n=Max(Length("path")))["n"]
        if deepest is not None:
            if node.target != Target.MENU:
                errors["target"] = _("has entries under it: it must stay a menu")
            if node.platform_id != old.platform_id:
                errors["platform"] = _("has entries under it: it cannot move to another platform")
    else:
        deepest = None
    if errors.keys() & {"key", "parent", "platform"}:
        return errors
    path = (parent.path if parent is not None else "") + node.key
    longest = len(path) + (deepest - len(old.path) if deepest is not None and old is not None else 0)
    if longest > MAX_PATH:
        errors["parent"] = _("too deep: a key path has at most %(n)s keys") % {"n": MAX_PATH}
    elif IvrNode.objects.filter(platform_id=node.platform_id, path=path).exclude(pk=node.pk).exists():
        errors["key"] = _("is already used in this menu")
    return errors


def leads_to(node: IvrNode) -> str:
    """Where NODE leads, in words: its target and the queue, self-service or extension."""
    named: dict[str, str] = {Target.QUEUE: node.queue, Target.SELF_SERVICE: str(node.get_service_display()),
                             Target.AGENT: node.extension}
    what = named.get(node.target, "")
    if node.target == Target.SELF_SERVICE and node.queue:
        what = _("%(service)s, then queue %(queue)s") % {"service": what, "queue": node.queue}
    target = str(node.get_target_display())
    return _("%(target)s: %(what)s") % {"target": target, "what": what} if what else target


def _stored(node: IvrNode) -> IvrNode | None:
    """NODE as it is in the database (its path and platform before this change), if saved."""
    if node.pk is None:
        return None
    return IvrNode.objects.filter(pk=node.pk).only("pk", "path", "platform_id").first()


@transaction.atomic
def save_node(node: IvrNode) -> IvrNode:
    """Check NODE (ValidationFailed naming each field, nothing saved), set its key path from its
    parent's path and its key, and save it; the entries under it follow a changed path."""

    def check():
        if errors := node_errors(node):
            raise ValidationFailed(_("The IVR menu entry is invalid."), fields=errors)

    old = _stored(node)
    check()
    node.path = (node.parent.path if node.parent_id else "") + node.key
    unique_write(check, node.save)
    if old is not None and old.path != node.path:
        IvrNode.objects.filter(platform_id=node.platform_id, path__startswith=old.path).exclude(pk=node.pk).update(
            path=Concat(Value(node.path), Substr("path", len(old.path) + 1)))
    return node


# A 10000-style menu (中国电信 10000号, 10086, 10010 are alike): what most callers want first,
# human service last on 0. Content in the operator's language, as the standard service phrases.
# (key, name, target, service or queue, prompt, entries under it)
DEFAULT_MENU: list[tuple[str, str, str, str, str, list]] = [
    ("1", "话费查询", Target.SELF_SERVICE, Service.BALANCE,
     "话费余额查询：系统将为您播报当前可用余额和本月已产生的话费。", []),
    ("2", "账单查询", Target.SELF_SERVICE, Service.BILL,
     "账单查询：系统将为您播报本月及上月账单；如需详单，我们将以短信发送查询方式。", []),
    ("3", "故障报修", Target.SELF_SERVICE, Service.FAULT_REPORT,
     "故障报修：请在提示音后说明故障现象和装机地址，我们将为您登记报修工单，随后为您转接故障受理坐席。", []),
    ("4", "业务办理", Target.QUEUE, "sales",
     "业务办理：套餐变更、业务开通与取消、停机复机，正在为您转接业务受理坐席，请稍候。", []),
    ("5", "投诉建议", Target.QUEUE, "complaints",
     "投诉与建议：正在为您转接投诉受理坐席，请稍候。", []),
    ("9", "服务密码", Target.MENU, "",
     "服务密码：修改服务密码请按1，重置服务密码请按2。", [
         ("1", "修改服务密码", Target.SELF_SERVICE, Service.PASSWORD,
          "请输入原服务密码，以#号键结束；再输入两次新密码，以#号键结束。", []),
         ("2", "重置服务密码", Target.QUEUE, "general",
          "重置服务密码需要核实机主身份，正在为您转接人工服务，请稍候。", []),
     ]),
    ("0", "人工服务", Target.QUEUE, "general", "正在为您转接人工服务，请稍候。", []),
]
_QUEUE_AFTER = {Service.FAULT_REPORT: "fault"}  # a fault report goes on to the fault desk


@transaction.atomic
def install_default_menu(platform: Platform) -> list[IvrNode]:
    """Give PLATFORM the default menu (DEFAULT_MENU), unless it has a menu already: one is
    never changed nor mixed with another. The entries created, top menu first."""
    if IvrNode.objects.filter(platform=platform).exists():
        return []
    created: list[IvrNode] = []

    def add(entries, parent):
        for position, (key, name, target, what, prompt, under) in enumerate(entries, start=1):
            node = IvrNode(platform=platform, parent=parent, key=key, name=name, prompt=prompt, target=target,
                           position=position)
            if target == Target.SELF_SERVICE:
                node.service, node.queue = what, _QUEUE_AFTER.get(what, "")
            elif target == Target.QUEUE:
                node.queue = what
            created.append(save_node(node))
            add(under, node)

    add(DEFAULT_MENU, None)
    return created


# --- the menu page: each entry and the calls through it today -----------------------------------

def walk(keys: str, entries: dict[tuple[int | None, str], IvrNode]) -> set[int]:
    """The entries (ids) a caller went through by pressing KEYS, from the top menu. ENTRIES maps
    (parent id or None, key) to an entry. A key leads to that entry of the current menu; after
    an entry that is no menu the caller is back at the top (the platform's menus return there
    after a self-service); a key the current menu has not (* or # to go back, a mistake) brings
    the caller back to the top and counts for no entry."""
    visited: set[int] = set()
    at: int | None = None
    for key in keys:
        node = entries.get((at, key))
        if node is None:
            at = None
            continue
        visited.add(node.pk)
        at = node.pk if node.target == Target.MENU else None
    return visited


def menu_today(user, now: datetime | None = None) -> list[dict[str, Any]]:
    """Each platform's menu as a tree, for the reference page (needs cti.view_any_call): per
    platform {"platform", "rows" (each entry, depth first, siblings by position and key: "node",
    "depth", "calls" today), "calls" (today's calls that pressed keys), "elsewhere" (those
    whose keys reached no entry)}. Today is the reader's day; the calls are counted over the
    whole hotline (the menu is everyone's), one query grouped by key path."""
    require(user, "cti.view_any_call")
    now = now or timezone.now()
    start = datetime.combine(timezone.localdate(now), time.min, tzinfo=timezone.get_current_timezone())
    nodes = list(IvrNode.objects.select_related("platform").order_by("platform__name", "platform_id", "position", "key"))
    paths = (Call.objects.filter(offered_at__gte=start, offered_at__lte=now).exclude(ivr_path=[])
             .values_list("platform_id", "ivr_path").annotate(n=Count("id")).order_by())
    counts: dict[int, int] = {}
    totals: dict[int, list[int]] = {}  # platform id → [calls, calls through no entry]
    by_platform: dict[int, dict] = {}
    for n in nodes:
        by_platform.setdefault(n.platform_id, {})[(n.parent_id, n.key)] = n
    for platform_id, path, n in paths:
        visited = walk("".join(path or []), by_platform.get(platform_id, {}))
        total = totals.setdefault(platform_id, [0, 0])
        total[0] += n
        total[1] += 0 if visited else n
        for pk in visited:
            counts[pk] = counts.get(pk, 0) + n
    children: dict[int | None, list[IvrNode]] = {}
    for n in nodes:
        children.setdefault(n.parent_id, []).append(n)
    menus: list[dict[str, Any]] = []
    for n in nodes:
        if n.parent_id is not None:
            continue
        if not menus or menus[-1]["platform"].pk != n.platform_id:
            menus.append({"platform": n.platform, "rows": [], "calls": totals.get(n.platform_id, [0, 0])[0],
                          "elsewhere": totals.get(n.platform_id, [0, 0])[1]})
        stack = [(n, 0)]
        while stack:
            node, depth = stack.pop()
            menus[-1]["rows"].append({"node": node, "depth": depth, "calls": counts.get(node.pk, 0)})
            stack.extend((child, depth + 1) for child in reversed(children.get(node.pk, [])))
    return menus


# --- self-service outcomes ------------------------------------------------------------------------

def sync_self_service(call: Call) -> None:
    """Record each self-service of CALL (Call.self_services, fold.py) not yet recorded: a hotline
    contact (inbound, no agent, started and ended at the use, answered at first contact) whose
    summary says what was served; for a fault report of a caller matched to a customer, also a
    fault work order registered in that contact (else the contact says why there is none).
    Called in the event's transaction with the call's row locked; SelfServiceUse, unique per call
    and event sequence, keeps a re-derived call from recording a use twice. A use recorded before
    the caller was matched (an event that came before "offered") gets the customer, and its
    order, once the call has one."""
    if not call.self_services:
        return
    recorded = {u.seq: u for u in SelfServiceUse.objects.filter(call=call).select_related("contact")}
    with translation.override(settings.LANGUAGE_CODE):  # stored text: the installation's language
        for entry in call.self_services:
            use = recorded.get(entry["seq"])
            if use is None:
                _record(call, entry)
            elif call.customer_id is not None and use.contact is not None and use.contact.customer_id is None:
                _catch_up(call, entry, use)


def _record(call: Call, entry: dict) -> None:
    at = datetime.fromisoformat(entry["at"])
    contact = Contact.objects.create(channel=Channel.HOTLINE, direction=Contact.Direction.INBOUND, started_at=at,
                                     ended_at=at, agent=None, customer=call.customer, caller=call.caller,
                                     outcome=Contact.Outcome.ANSWERED)
    use = SelfServiceUse.objects.create(call=call, seq=entry["seq"], service=entry["service"], at=at, contact=contact)
    _complete(call, entry, use)


def _catch_up(call: Call, entry: dict, use: SelfServiceUse) -> None:
    contact = use.contact
    assert contact is not None  # the caller checked it
    contact.customer, contact.caller = call.customer, contact.caller or call.caller
    contact.version += 1
    contact.save(update_fields=["customer", "caller", "version", "updated_at"])
    _complete(call, entry, use)


def _complete(call: Call, entry: dict, use: SelfServiceUse) -> None:
    """The order of a fault report (when it can be registered) and the contact's summary."""
    contact = use.contact
    assert contact is not None  # just made or checked
    why_no_order = ""
    if entry["service"] == Service.FAULT_REPORT and use.order_id is None:
        if call.customer is None:
            why_no_order = _("The caller's number matched no customer: no work order was registered.")
        else:
            try:
                with transaction.atomic():
                    use.order = _register_fault(call, entry, contact)
            except ServiceError as exc:  # e.g. an unidentified caller's file, which holds no fault order
                log.warning("cti: no fault order for call %s: %s", call.call_id, exc)
                why_no_order = _("No work order was registered: %(reason)s") % {"reason": exc.message}
            else:
                use.save(update_fields=["order"])
    lines = [_("IVR self-service: %(service)s") % {"service": Service(entry["service"]).label}]
    if entry.get("outcome"):
        lines.append(_("Result: %(outcome)s") % {"outcome": entry["outcome"]})
    if entry.get("fault"):
        lines.append(_("Fault described: %(fault)s") % {"fault": entry["fault"]})
    if why_no_order:
        lines.append(why_no_order)
    contact.summary = "\n".join(str(line) for line in lines)
    contact.outcome = Contact.Outcome.ORDER_CREATED if use.order_id else Contact.Outcome.ANSWERED
    contact.save(update_fields=["summary", "outcome", "updated_at"])


def _register_fault(call: Call, entry: dict, contact: Contact):
    """A fault work order for the call's customer, registered in CONTACT by the IVR's system
    user and routed as the portal's are (kefu.routing: on arrival if KEFU_AUTO_ROUTE)."""
    from kefu.customers.models import Subscription
    from kefu.routing import services as routing

    assert call.customer is not None  # the caller checked it
    fault = (entry.get("fault") or "").strip()
    first_line = fault.splitlines()[0] if fault else ""
    title = (first_line[:TITLE_CHARS - 1] + "…" if len(first_line) > TITLE_CHARS else first_line) or _(
        "Fault reported in the IVR")
    description = "\n".join(t for t in (fault, _("Reported in the IVR self-service (call %(call_id)s).") % {
        "call_id": call.call_id}) if t)
    # The line the caller rang from, when it is one of the customer's live services.
    lines = list(Subscription.objects.filter(customer=call.customer, service_number=call.caller)
                 .exclude(status=Subscription.Status.TERMINATED).values_list("pk", flat=True)[:2]) if call.caller else []
    return routing.register(ivr_user(), by_system=True, kind="fault", title=title, description=description,
                            customer_id=call.customer.pk, channel=Channel.HOTLINE,
                            subscription_id=lines[0] if len(lines) == 1 else None, contact_id=contact.pk)


def ivr_user():
    """The `ivr` system user the IVR registers orders as (staff.services.system_user, as the
    portal's)."""
    from kefu.staff import services as staff

    return staff.system_user(IVR_USERNAME, IVR_DISPLAY_NAME)


def queue_names() -> dict[str, str]:
    """Each queue's name as the IVR menu calls the entry that leads to it (general → 人工服务):
    the platform's queue codes are never shown alone."""
    rows = IvrNode.objects.exclude(queue="").values_list("queue", "name", "target", "path")
    names: dict[str, str] = {}
    # An entry that leads to the queue itself before a self-service that passes on to it; the
    # nearest the top menu first (0 人工服务, not 9 › 2 重置服务密码).
    for queue, name, _target, _path in sorted(rows, key=lambda r: (r[2] != IvrNode.Target.QUEUE, len(r[3]), r[3])):
        names.setdefault(queue, name)
    return names
