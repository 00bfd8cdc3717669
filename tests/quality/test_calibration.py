"""Calibration (校准): several inspectors score the same contacts blind; the QA lead sees the
spread per item and per inspector, the inspectors once it is closed; nothing of it reaches the
agent or the figures. And published inspections become final when their appeal window ends."""

import datetime as dt

import pytest
from django.utils import timezone

from kefu.contacts.models import Contact
from kefu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kefu.notifications.models import Notification
from kefu.quality import services
from kefu.quality.models import Inspection
from kefu.staff import roles


@pytest.fixture
def inspectors(make_user):
    return [make_user(roles.QA_INSPECTOR, "complaints", f"cal-{n}") for n in range(3)]


@pytest.fixture
def contacts(agent, customer):
    now = timezone.now()
    return [Contact.objects.create(channel="hotline", started_at=now - dt.timedelta(hours=n + 1), ended_at=now - dt.timedelta(hours=n),
                                   agent=agent, customer=customer, summary="客户咨询套餐", outcome="answered") for n in range(2)]


def _hand_in(inspector, calibration, contact, marks):
    inspection = Inspection.objects.get(calibration=calibration, contact=contact, inspector=inspector)
    rows = {r.item.text: r for r in inspection.items.select_related("item")}
    results = {}
    for text, points in marks.items():
        row = rows[text]
        results[str(row.item_id)] = {"result": "partial", "points": points}
    services.score(inspector, inspection.pk, results)
    services.publish(inspector, inspection.pk)
    return inspection


def _points_item(calibration):
    return calibration.scorecard.items.filter(kind="points", fatal=False).order_by("-points").first()


def test_blind_scoring_spread_and_closing(inspectors, contacts, supervisor, agent):
    a, b, c = inspectors
    calibration = services.create_calibration(supervisor, "十一月第一次校准", [x.pk for x in contacts], [i.pk for i in inspectors])
    assert Inspection.objects.filter(calibration=calibration, status="draft").count() == 6
    item = _points_item(calibration)
    for contact in contacts:
        _hand_in(a, calibration, contact, {item.text: item.points})
        _hand_in(b, calibration, contact, {item.text: item.points - 1})
    theirs = Inspection.objects.get(calibration=calibration, contact=contacts[0], inspector=a)
    with pytest.raises(NotFound):  # b does not see a's score while it is open
        services.inspection(b, theirs.pk)
    with pytest.raises(Conflict):
        services.calibration_spread(b, calibration.pk)
    # The lead sees it as the scores come in: c has not handed in.
    spread = services.calibration_spread(supervisor, calibration.pk)
    row = next(r for r in spread["items"] if r["item"].pk == item.pk and r["contact_id"] == contacts[0].pk)
    assert row["scores"] == [item.points, item.points - 1, None] and row["spread"] == 1
    people = {p["inspector"].pk: p for p in spread["people"]}
    assert people[c.pk]["handed_in"] == 0 and people[a.pk]["bias"] > 0 > people[b.pk]["bias"]
    # c scores far lower on both: out of line.
    for contact in contacts:
        _hand_in(c, calibration, contact, {item.text: 0})
    people = {p["inspector"].pk: p for p in services.calibration_spread(supervisor, calibration.pk)["people"]}
    assert people[c.pk]["out_of_line"] and not people[a.pk]["out_of_line"]
    services.close_calibration(supervisor, calibration.pk)
    assert services.inspection(b, theirs.pk).pk == theirs.pk
    assert len(services.calibration_spread(b, calibration.pk)["people"]) == 3
    with pytest.raises(Conflict):
        services.close_calibration(supervisor, calibration.pk)
    # Nothing reached the agent: no notice, nothing to appeal, nothing in "my quality".
    assert not Notification.objects.filter(recipient=agent).exists()
    assert not services.my_inspections(agent).exists()
    with pytest.raises(NotFound):
        services.appeal(agent, theirs.pk, "不服")
    assert services.close_due(timezone.now() + dt.timedelta(days=30)) == 0


def test_who_sets_a_calibration_and_with_what(inspectors, contacts, supervisor, agent):
    with pytest.raises(Forbidden):
        services.create_calibration(inspectors[0], "校准", [contacts[0].pk], [i.pk for i in inspectors])
    with pytest.raises(ValidationFailed) as bad:
        services.create_calibration(supervisor, " ", [987654321], [inspectors[0].pk, agent.pk])
    assert set(bad.value.fields) == {"title", "contact_ids", "inspector_ids"}
    # The agent of a contact may not be among its calibrating inspectors.
    own = Contact.objects.create(channel="hotline", started_at=timezone.now() - dt.timedelta(hours=1), ended_at=timezone.now(),
                                 agent=inspectors[0], summary="x", outcome="answered")
    with pytest.raises(ValidationFailed) as bad:
        services.create_calibration(supervisor, "校准", [own.pk], [i.pk for i in inspectors])
    assert "inspector_ids" in bad.value.fields
    assert not Inspection.objects.filter(calibration__isnull=False).exists()


def test_published_inspections_become_final_when_the_window_ends(inspectors, contacts, supervisor):
    inspection = services.start_inspection(inspectors[0], contacts[0].pk)
    services.publish(inspectors[0], inspection.pk)
    inspection.refresh_from_db()
    assert services.close_due(inspection.appeal_until - dt.timedelta(minutes=1)) == 0
    later = inspection.appeal_until + dt.timedelta(minutes=1)
    assert services.close_due(later) == 1
    inspection.refresh_from_db()
    assert (inspection.status, inspection.final_at) == ("final", later)
    assert services.close_due(later) == 0


def test_the_calibration_api(inspectors, contacts, supervisor, api_client):
    client = api_client(supervisor)
    made = client.post("/quality/calibrations", {"title": "API 校准", "contact_ids": [contacts[0].pk],
                                                         "inspector_ids": [i.pk for i in inspectors[:2]]})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["inspector_ids"] == sorted(i.pk for i in inspectors[:2])
    bad = client.post("/quality/calibrations", {"title": "x", "contact_ids": [], "inspector_ids": []})
    assert bad.status_code == 422 and {"contact_ids", "inspector_ids"} <= {f["field"] for f in bad.json()["fields"]}
    spread = client.get(f"/quality/calibrations/{body['id']}/spread")
    assert spread.status_code == 200 and len(spread.json()["inspectors"]) == 2
    assert api_client(inspectors[0]).get(f"/quality/calibrations/{body['id']}/spread").status_code == 409
    assert client.post(f"/quality/calibrations/{body['id']}/close").json()["status"] == "closed"
