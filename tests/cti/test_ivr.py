"""The IVR menu (kefu.cti.ivr): the menu as configuration (checks, key paths, the default menu,
the admin), the menu page with today's calls per entry, and self-service outcomes recorded as
contacts (and a fault report as a work order), once however often the call is re-derived."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone, translation
from django.utils.translation import gettext

from kefu.contacts.models import Contact, ContactOrder
from kefu.core.errors import ValidationFailed
from kefu.cti import ivr
from kefu.cti.admin import IvrNodeForm
from kefu.cti.fold import Event, fold
from kefu.cti.models import Call, IvrNode, SelfServiceUse
from kefu.orders.models import WorkOrder
from kefu.staff import roles

from .helpers import T0, event, make_platform, post

pytestmark = pytest.mark.django_db

Target, Service = IvrNode.Target, IvrNode.Service


@pytest.fixture
def platform(db):
    return make_platform()


def node(platform, key, name="菜单项", parent=None, **kw) -> IvrNode:
    return ivr.save_node(IvrNode(platform=platform, parent=parent, key=key, name=name, **kw))


def refused(new: IvrNode) -> dict:
    with pytest.raises(ValidationFailed) as exc:
        ivr.save_node(new)
    return exc.value.fields


# --- the menu as configuration ------------------------------------------------------------------

def test_an_entry_s_path_is_its_parent_s_path_and_its_key(platform):
    menu = node(platform, "9", target=Target.MENU)
    change = node(platform, "1", parent=menu, target=Target.SELF_SERVICE, service=Service.PASSWORD)
    assert (menu.path, change.path) == ("9", "91")
    deeper = node(platform, "#", parent=node(platform, "2", parent=menu), target=Target.QUEUE, queue="general")
    assert deeper.path == "92#"
    # A menu moved to another key takes the entries under it along.
    menu.key = "8"
    ivr.save_node(menu)
    assert sorted(IvrNode.objects.values_list("path", flat=True)) == ["8", "81", "82", "82#"]


@pytest.mark.parametrize(("given", "field"), [
    ({"key": "a"}, "key"),
    ({"key": "12"}, "key"),
    ({"key": ""}, "key"),
    ({"target": Target.QUEUE}, "queue"),
    ({"target": Target.SELF_SERVICE}, "service"),
    ({"target": Target.AGENT}, "extension"),
    ({"target": Target.QUEUE, "queue": "general", "extension": "8001"}, "extension"),
    ({"target": Target.AGENT, "extension": "8001", "service": Service.BILL}, "service"),
    ({"target": Target.MENU, "queue": "general"}, "queue"),
])
def test_an_entry_is_checked_field_by_field(platform, given, field):
    fields = refused(IvrNode(platform=platform, name="x", **({"key": "1"} | given)))
    assert list(fields) == [field]
    assert not IvrNode.objects.exists()


def test_a_self_service_may_name_the_queue_that_follows(platform):
    fault = node(platform, "3", target=Target.SELF_SERVICE, service=Service.FAULT_REPORT, queue="fault")
    assert fault.queue == "fault"
    with translation.override("en"):
        assert ivr.leads_to(fault) == "Self-service: Fault report, then queue fault"


def test_parent_key_and_target_rules(platform):
    leaf = node(platform, "0", target=Target.QUEUE, queue="general")
    menu = node(platform, "9")
    assert "parent" in refused(IvrNode(platform=platform, parent=leaf, key="1", name="x"))  # not a menu
    assert "key" in refused(IvrNode(platform=platform, key="0", name="again", target=Target.QUEUE, queue="q"))
    other = make_platform("pbx2")
    assert "parent" in refused(IvrNode(platform=other, parent=menu, key="1", name="x"))
    child = node(platform, "1", parent=menu)
    menu.parent = child  # under its own entry
    assert "parent" in refused(menu)
    menu.parent = None
    menu.target, menu.queue = Target.QUEUE, "general"  # has entries under it
    assert "target" in refused(menu)


def test_the_admin_form_names_the_field(platform):
    form = IvrNodeForm(data={"platform": platform.pk, "key": "4", "name": "业务办理", "target": Target.QUEUE,
                             "position": 0})
    assert not form.is_valid()
    assert "queue" in form.errors
    form = IvrNodeForm(data={"platform": platform.pk, "key": "4", "name": "业务办理", "target": Target.QUEUE,
                             "queue": "sales", "position": 0})
    assert form.is_valid(), form.errors


def test_the_admin_lists_and_adds_entries(client, make_user, platform):
    user = make_user("administrator", None, "root")
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    ivr.install_default_menu(platform)
    page = client.get("/admin/cti/ivrnode/")
    assert page.status_code == 200 and "修改服务密码" in page.content.decode()
    menu = IvrNode.objects.get(platform=platform, path="9")
    r = client.post("/admin/cti/ivrnode/add/", {"platform": platform.pk, "parent": menu.pk, "key": "3",
                                                "name": "密码找回", "target": Target.QUEUE, "queue": "general",
                                                "position": 3})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert IvrNode.objects.get(name="密码找回").path == "93"


def test_the_default_menu(platform):
    created = ivr.install_default_menu(platform)
    paths = {n.path: n for n in created}
    assert set(paths) == {"1", "2", "3", "4", "5", "9", "91", "92", "0"}
    assert (paths["1"].target, paths["1"].service) == (Target.SELF_SERVICE, Service.BALANCE)
    assert (paths["2"].service, paths["3"].service, paths["3"].queue) == (Service.BILL, Service.FAULT_REPORT, "fault")
    assert [paths[k].queue for k in ("4", "5", "0")] == ["sales", "complaints", "general"]
    assert paths["9"].target == Target.MENU and paths["91"].service == Service.PASSWORD
    assert all(n.prompt for n in created) and paths["0"].position > paths["5"].position  # 0 last, as callers expect
    assert ivr.install_default_menu(platform) == [] and IvrNode.objects.count() == 9  # a menu stays as it is


# --- the menu page ------------------------------------------------------------------------------

def test_walk_follows_menus_and_goes_back_to_the_top(platform):
    ivr.install_default_menu(platform)
    entries = {(n.parent_id, n.key): n for n in IvrNode.objects.all()}
    by_path = {n.path: n.pk for n in IvrNode.objects.all()}
    assert ivr.walk("91", entries) == {by_path["9"], by_path["91"]}
    assert ivr.walk("10", entries) == {by_path["1"], by_path["0"]}  # back at the top after a self-service
    assert ivr.walk("9*3", entries) == {by_path["9"], by_path["3"]}  # * is no entry of menu 9: the top again
    assert ivr.walk("7", entries) == set()


def _call(platform, call_id, at, path):
    return Call.objects.create(platform=platform, call_id=call_id, offered_at=at, ivr_path=path)


def test_calls_today_per_entry(platform, supervisor):
    ivr.install_default_menu(platform)
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    _call(platform, "a", noon - timedelta(hours=3), ["9", "1"])
    _call(platform, "b", noon - timedelta(hours=2), ["91"])  # the same keys in one event
    _call(platform, "c", noon - timedelta(hours=1), ["1", "0"])
    _call(platform, "d", noon - timedelta(hours=1), ["7"])  # no such entry
    _call(platform, "e", noon - timedelta(hours=1), [])  # straight to a queue
    _call(platform, "f", noon - timedelta(hours=13), ["1"])  # yesterday
    (menu,) = ivr.menu_today(supervisor, now=noon)
    calls = {row["node"].path: row["calls"] for row in menu["rows"]}
    assert calls == {"1": 1, "2": 0, "3": 0, "4": 0, "5": 0, "9": 2, "91": 2, "92": 0, "0": 1}
    assert (menu["calls"], menu["elsewhere"]) == (4, 1)
    assert [row["node"].path for row in menu["rows"]] == ["1", "2", "3", "4", "5", "9", "91", "92", "0"]
    assert [row["depth"] for row in menu["rows"]][5:8] == [0, 1, 1]


def test_the_page_for_a_supervisor_in_chinese_and_not_for_an_agent(client, platform, supervisor, agent):
    ivr.install_default_menu(platform)
    _call(platform, "a", timezone.now(), ["3"])
    supervisor.language = "zh-hans"
    supervisor.save(update_fields=["language"])
    client.force_login(supervisor)
    r = client.get("/hotline/ivr/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 200
    html = r.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "故障报修" in html and "请在提示音后说明故障现象" in html and "总部呼叫中心" in html
    rows = {row["node"].path: row for row in r.context["platforms"][0]["rows"]}
    assert rows["3"]["calls"] == 1 and rows["9"]["calls"] == 0
    client.force_login(agent)
    assert client.get("/hotline/ivr/").status_code == 403


# --- the "ivr" event's self-service fields -------------------------------------------------------

@pytest.mark.parametrize(("data", "field"), [
    ({"keys": "1", "service": "lottery"}, "data.service"),
    ({"keys": "1", "service": "balance", "outcome": "x" * 201}, "data.outcome"),
    ({"keys": "1", "outcome": "余额35元"}, "data.outcome"),
    ({"keys": "3", "service": "fault_report", "fault": "x" * 501}, "data.fault"),
    ({"keys": "1", "service": "balance", "fault": "宽带断了"}, "data.fault"),
])
def test_self_service_fields_are_checked(client, platform, data, field):
    r = post(client, event(1, 5, "ivr", **data))
    assert r.status_code == 422
    assert [f["field"] for f in r.json()["fields"]] == [field]


def test_fold_collects_the_self_services_in_order():
    t = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    c = fold([Event("ivr", 3, t + timedelta(seconds=30), {"keys": "3", "service": "fault_report", "fault": "无法上网"}),
              Event("ivr", 1, t + timedelta(seconds=10), {"keys": "1", "service": "balance", "outcome": "余额35元"}),
              Event("ivr", 2, t + timedelta(seconds=20), {"keys": "9"})])
    assert c["self_service"] and c["ivr_path"] == ["1", "9", "3"]
    assert c["self_services"] == [
        {"seq": 1, "keys": "1", "service": "balance", "outcome": "余额35元", "at": "2026-03-02T09:00:10+00:00"},
        {"seq": 3, "keys": "3", "service": "fault_report", "outcome": "", "at": "2026-03-02T09:00:30+00:00",
         "fault": "无法上网"}]
    assert fold([Event("ivr", 1, t, {"keys": "0"})])["self_services"] == []


# --- self-service outcomes ------------------------------------------------------------------------

def _zh(text: str, **values) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(text) % values


def _service(value) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(Service(value).label)


def test_a_balance_enquiry_then_queued_is_one_contact(client, platform, customer):
    docs = [event(0, 0, "offered", caller=customer.phone, called="10000"),
            event(1, 5, "ivr", keys="1", service="balance", outcome="可用余额35.20元"),
            event(2, 20, "queued", queue="general")]
    for doc in docs:
        assert post(client, doc).status_code == 200
    contact = Contact.objects.get()
    assert (contact.channel, contact.direction, contact.agent, contact.customer) == ("hotline", "inbound", None, customer)
    assert contact.caller == customer.phone and contact.outcome == Contact.Outcome.ANSWERED
    assert contact.started_at == contact.ended_at == T0 + timedelta(seconds=5)
    assert contact.summary.splitlines() == [_zh("IVR self-service: %(service)s", service=_service("balance")),
                                            _zh("Result: %(outcome)s", outcome="可用余额35.20元")]
    call = Call.objects.get()
    assert call.self_service and call.state == "queued" and len(call.self_services) == 1
    post(client, docs[1])  # delivered again
    post(client, event(3, 30, "ringing", extension="8001"))  # and the call goes on: re-derived each time
    assert Contact.objects.count() == 1 and SelfServiceUse.objects.get().contact == contact


def test_a_late_self_service_is_recorded_once_as_well(client, platform, customer):
    post(client, event(0, 0, "offered", caller=customer.phone, called="10000"))
    post(client, event(3, 30, "ivr", keys="2", service="bill"))
    post(client, event(2, 10, "ivr", keys="1", service="balance"))  # happened first, came last
    post(client, event(4, 40, "queued", queue="general"))
    assert sorted(SelfServiceUse.objects.values_list("seq", "service")) == [(2, "balance"), (3, "bill")]
    assert Contact.objects.count() == 2


def test_a_fault_report_is_a_contact_and_a_fault_order(client, platform, customer, subscription):
    post(client, event(0, 0, "offered", caller=subscription.service_number, called="10000"))
    post(client, event(1, 8, "ivr", keys="3", service="fault_report", fault="家里宽带从昨晚起无法上网，光猫红灯闪烁"))
    post(client, event(2, 40, "queued", queue="fault"))
    contact = Contact.objects.get()
    order = WorkOrder.objects.get()
    assert (order.kind, order.channel, order.customer, order.subscription) == ("fault", "hotline", customer, subscription)
    assert order.title == "家里宽带从昨晚起无法上网，光猫红灯闪烁" and "无法上网" in order.description
    assert order.owner.username == ivr.IVR_USERNAME and order.owner.groups.filter(name=roles.SELF_SERVICE).exists()
    assert ContactOrder.objects.get(contact=contact).order == order
    assert ContactOrder.objects.get(contact=contact).role == ContactOrder.Role.RAISED
    assert contact.outcome == Contact.Outcome.ORDER_CREATED and contact.customer == customer
    assert SelfServiceUse.objects.get().order == order
    post(client, event(3, 50, "ringing", extension="8001"))
    assert WorkOrder.objects.count() == 1 and Contact.objects.count() == 1


def test_a_long_fault_description_makes_a_short_title(client, platform, customer):
    post(client, event(0, 0, "offered", caller=customer.phone, called="10000"))
    post(client, event(1, 8, "ivr", keys="3", service="fault_report", fault="信号" * 100))
    order = WorkOrder.objects.get()
    assert len(order.title) == ivr.TITLE_CHARS and order.title.endswith("…") and order.description.startswith("信号" * 100)


def test_an_unmatched_caller_gets_the_contact_alone(client, platform):
    post(client, event(0, 0, "offered", caller="13800000000", called="10000"))
    post(client, event(1, 8, "ivr", keys="3", service="fault_report", fault="手机没有信号"))
    contact = Contact.objects.get()
    assert contact.customer is None and contact.outcome == Contact.Outcome.ANSWERED
    assert not WorkOrder.objects.exists()
    assert contact.summary.splitlines()[-1] == _zh(
        "The caller's number matched no customer: no work order was registered.")


def test_a_fault_reported_before_the_caller_was_known_gets_its_order_later(client, platform, customer):
    post(client, event(1, 8, "ivr", keys="3", service="fault_report", fault="固话无拨号音"))  # before "offered"
    assert Contact.objects.get().customer is None and not WorkOrder.objects.exists()
    post(client, event(0, 0, "offered", caller=customer.phone, called="10000"))
    contact = Contact.objects.get()
    order = WorkOrder.objects.get()
    assert contact.customer == customer and contact.caller == customer.phone and order.customer == customer
    assert contact.outcome == Contact.Outcome.ORDER_CREATED
    assert _zh("The caller's number matched no customer: no work order was registered.") not in contact.summary


def test_an_order_refused_leaves_the_contact_saying_why(client, platform, customer, monkeypatch):
    from kefu.routing import services as routing

    def refuse(*args, **kwargs):
        raise ValidationFailed("不能登记", fields={"kind": "不可用"})

    monkeypatch.setattr(routing, "register", refuse)
    post(client, event(0, 0, "offered", caller=customer.phone, called="10000"))
    assert post(client, event(1, 8, "ivr", keys="3", service="fault_report")).status_code == 200
    contact = Contact.objects.get()
    assert not WorkOrder.objects.exists() and contact.outcome == Contact.Outcome.ANSWERED
    assert "不能登记" in contact.summary and SelfServiceUse.objects.get().order is None


def test_the_ivr_user_is_a_system_user(db):
    user = ivr.ivr_user()
    assert not user.has_usable_password() and not user.is_staff and user.capacity == 0
    assert Group.objects.get(name=roles.SELF_SERVICE) in user.groups.all() and ivr.ivr_user() == user
