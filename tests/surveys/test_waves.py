"""Quarterly relationship surveys: subscribers sampled stratified by province, customer segment
and product (proportional allocation, the same seed → the same sample), never those who refused,
were anonymised or asked recently; sent by SMS in committed batches that resume; the waves'
response rates on the page, in the API and the command."""

import datetime as dt
import itertools
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kefu.contacts import sms
from kefu.contacts.models import SmsMessage
from kefu.core.errors import Conflict, Forbidden, ValidationFailed
from kefu.customers import services as customers
from kefu.customers.models import Customer, Subscription
from kefu.privacy.models import Anonymisation
from kefu.staff import roles
from kefu.surveys import services
from kefu.surveys.models import Instrument, Invitation, OptOut, SurveyWave

from ..conftest import mobile, resident_id

_n = itertools.count(61_000)


@pytest.fixture
def administrator(make_user):
    return make_user(roles.ADMINISTRATOR, "front-office", "waves-admin")


@pytest.fixture
def people(administrator):
    """Subscribers in three strata: 30 ordinary mobile in 广东, 15 VIP broadband in 广东, 5
    ordinary mobile in 北京 ({stratum: [customer id]})."""
    def make(count, province, segment, product):
        ids = []
        for _i in range(count):
            k = next(_n)
            c = customers.create_customer(administrator, name="李雷", id_number=resident_id(k), phone=mobile(k),
                                          province=province, city="某市", segment=segment)
            Subscription.objects.create(customer=c, service_number=mobile(k), product=product, province=province, city="某市",
                                        opened_on=dt.date(2024, 1, 1))
            ids.append(c.pk)
        return ids
    return {("广东", "ordinary", "mobile"): make(30, "广东", "ordinary", "mobile"),
            ("广东", "vip", "broadband"): make(15, "广东", "vip", "broadband"),
            ("北京", "ordinary", "mobile"): make(5, "北京", "ordinary", "mobile")}


def _stratum_of(people):
    return {pk: key for key, ids in people.items() for pk in ids}


# --- the sample ---------------------------------------------------------------------------

def test_allocation_is_proportional_by_largest_remainders():
    assert services._allocate({"a": 5, "b": 3, "c": 2}, 5) == {"a": 3, "b": 1, "c": 1}  # 2.5, 1.5, 1: a tie goes to a
    assert services._allocate({"a": 60, "b": 30, "c": 10}, 20) == {"a": 12, "b": 6, "c": 2}
    assert services._allocate({"a": 2, "b": 1}, 10) == {"a": 2, "b": 1}  # never more than a stratum holds
    assert sum(services._allocate({"a": 7, "b": 11, "c": 13, "d": 1}, 17).values()) == 17


def test_the_sample_is_stratified_and_the_same_for_a_seed(people):
    with CaptureQueriesContext(connection) as queries:
        population, strata, sample = services.draw(10, seed=7)
    assert len(queries) == 1  # the frame, refusals and all, in one query
    assert population == 50
    assert [(s.province, s.segment, s.product, s.population, s.sample) for s in strata] == [
        ("北京", "ordinary", "mobile", 5, 1), ("广东", "ordinary", "mobile", 30, 6), ("广东", "vip", "broadband", 15, 3)]
    where = _stratum_of(people)
    assert [where[pk] for pk in sample] == [("北京", "ordinary", "mobile")] + [("广东", "ordinary", "mobile")] * 6 + [
        ("广东", "vip", "broadband")] * 3
    assert len(set(sample)) == 10
    assert services.draw(10, seed=7)[2] == sample  # reproducible
    assert services.draw(10, seed=8)[2] != sample  # another seed, another sample
    assert sorted(services.draw(100, seed=7)[2]) == sorted(where)  # asking for more than there are: everyone


def test_a_customer_counts_once_in_the_stratum_of_their_first_subscription(people):
    first = people[("广东", "vip", "broadband")][0]
    Subscription.objects.create(customer_id=first, service_number="13900000001", product="mobile", province="广东",
                                city="某市", opened_on=dt.date(2025, 1, 1))
    population, strata, sample = services.draw(50, seed=1)
    assert population == 50 and sorted(sample) == sorted(_stratum_of(people))
    assert {(s.province, s.segment, s.product): s.population for s in strata}[("广东", "vip", "broadband")] == 15


def test_who_may_not_be_asked_is_never_sampled(people, administrator):
    ids = people[("广东", "ordinary", "mobile")]
    now = timezone.now()
    refused, withdrawn, anonymised, asked, asked_long_ago, inactive, ended = ids[:7]
    OptOut.objects.create(customer_id=refused, channel="sms_reply", at=now)
    OptOut.objects.create(customer_id=withdrawn, channel="sms_reply", at=now, withdrawn_at=now)  # asks again
    Anonymisation.objects.create(customer_id=anonymised, scope="personal", at=now)
    instrument = services.active("post_resolution")
    for pk, when in [(asked, now - dt.timedelta(days=3)), (asked_long_ago, now - dt.timedelta(days=60))]:
        Invitation.objects.create(instrument=instrument, customer_id=pk, channel="sms_link", token=f"t{pk}", created_at=when,
                                  expires_at=when + dt.timedelta(days=1))
    Customer.objects.filter(pk=inactive).update(status="inactive")
    Subscription.objects.filter(customer_id=ended).update(status="terminated")
    population, _strata, sample = services.draw(100, seed=7)
    assert population == 45
    assert not {refused, anonymised, asked, inactive, ended} & set(sample)
    assert {withdrawn, asked_long_ago} <= set(sample)


# --- sending ------------------------------------------------------------------------------

def test_a_wave_is_sent_in_committed_batches_and_resumes(people, administrator, monkeypatch):
    wave = services.create_wave(administrator, "2026q4", 7, seed=3)
    assert (wave.quarter, wave.population, len(wave.sample), wave.instrument) == (
        "2026Q4", 50, 7, services.active("relationship"))
    real, calls = sms.send_texts, []

    def flaky(messages, *, purpose):
        calls.append(messages)
        if len(calls) == 2:
            raise RuntimeError("gateway down")
        return real(messages, purpose=purpose)

    monkeypatch.setattr(sms, "send_texts", flaky)
    with pytest.raises(RuntimeError):
        services.send_wave(wave.pk, batch=3)
    # The first batch committed with its SMS; the second one rolled back whole.
    assert Invitation.objects.filter(wave=wave).count() == 3 and SmsMessage.objects.filter(purpose="survey").count() == 3
    wave.refresh_from_db()
    assert (wave.invited, wave.sent_at) == (3, None)

    # Before it resumes, a sampled customer refuses: left out.
    pending = [pk for pk in wave.sample if not Invitation.objects.filter(wave=wave, customer_id=pk).exists()]
    services.opt_out(Customer.objects.get(pk=pending[0]), "sms_reply")
    done = services.send_wave(wave.pk, batch=3)
    assert (done.invited, done.skipped) == (6, 1) and done.sent_at is not None
    invited = Invitation.objects.filter(wave=wave)
    assert sorted(invited.values_list("customer_id", flat=True)) == sorted(set(wave.sample) - {pending[0]})
    assert set(invited.values_list("channel", "instrument__purpose", "status")) == {("sms_link", "relationship", "pending")}
    messages = SmsMessage.objects.filter(purpose="survey")
    assert messages.count() == 6
    assert all(re.search(r"/portal/survey/[\w-]+/", m.text) and "TD" in m.text for m in messages)
    # Sending again sends nothing more.
    assert services.send_wave(wave.pk).invited == 6 and SmsMessage.objects.filter(purpose="survey").count() == 6


def test_one_wave_per_quarter_unless_a_supplement(people, administrator):
    first = services.create_wave(administrator, "2026Q4", 10, seed=7)
    services.send_wave(first.pk)
    with pytest.raises(Conflict):
        services.create_wave(administrator, "2026Q4", 10, seed=7)
    more = services.create_wave(administrator, "2026Q4", 10, seed=7, supplement=True)
    assert more.population == 40 and not set(more.sample) & set(first.sample)  # those asked are left out


def test_a_bad_wave_names_its_fields(people, administrator, agent):
    with pytest.raises(ValidationFailed) as e:
        services.create_wave(administrator, "2026-Q5", 0, seed=-1, days=0)
    assert set(e.value.fields) == {"quarter", "size", "seed", "days"}
    with pytest.raises(Forbidden):
        services.create_wave(agent, "2026Q4", 10, seed=7)
    Instrument.objects.filter(purpose="relationship").update(status="retired")
    with pytest.raises(Conflict):
        services.create_wave(administrator, "2026Q4", 10, seed=7)
    assert not SurveyWave.objects.exists()


# --- pages, API, command --------------------------------------------------------------------

def _answer_one(wave):
    invitation = Invitation.objects.filter(wave=wave).order_by("pk").first()
    values = {q.pk: (9 if q.type in ("score", "recommend") else "好") for q in invitation.instrument.questions.all()}
    services.answer(invitation.pk, values)


def test_the_waves_and_their_response_rates_on_the_page(client, people, make_user, agent):
    supervisor = make_user(roles.SUPERVISOR, "front-office")
    wave = services.send_wave(services.create_wave(supervisor, "2026Q3", 4, seed=11).pk)
    _answer_one(wave)
    client.force_login(supervisor)
    page = client.get("/surveys/").content.decode()
    assert "2026Q3" in page and "25%" in page
    detail = client.get(f"/surveys/waves/{wave.pk}/")
    text = detail.content.decode()
    assert detail.status_code == 200 and "北京" in text and "Broadband" in text and "VIP" in text
    client.force_login(agent)
    assert client.get(f"/surveys/waves/{wave.pk}/").status_code == 403
    assert client.get("/surveys/").status_code == 403


def test_the_api_makes_and_lists_waves(api_client, people, make_user, agent):
    supervisor = make_user(roles.SUPERVISOR, "front-office")
    api = api_client(supervisor)
    made = api.post("/surveys/waves", {"quarter": "2026Q4", "size": 10, "seed": 7})
    body = made.json()
    assert made.status_code == 201 and (body["sent"], body["answered"], body["population"]) == (10, 0, 50)
    assert [(s["province"], s["sample"], s["sent"]) for s in body["strata"]] == [("北京", 1, 1), ("广东", 6, 6), ("广东", 3, 3)]
    assert api.post("/surveys/waves", {"quarter": "2026Q4", "size": 10, "seed": 7}).status_code == 409
    refused = api.post("/surveys/waves", {"quarter": "Q4", "size": 10, "seed": 7})
    assert refused.status_code == 422 and [f["field"] for f in refused.json()["fields"]] == ["quarter"]
    _answer_one(SurveyWave.objects.get())
    listed = api.get("/surveys/waves").json()
    assert [(w["quarter"], w["sent"], w["answered"], w["response_rate"]) for w in listed] == [("2026Q4", 10, 1, 0.1)]
    assert api.get(f"/surveys/waves/{body['id']}").json()["answered"] == 1
    assert api_client(agent).get("/surveys/waves").status_code == 403
    assert api_client(agent).post("/surveys/waves", {"quarter": "2026Q1", "size": 1, "seed": 1}).status_code == 403


def test_the_command_draws_sends_and_lists(people):
    out = StringIO()
    call_command("surveys", "wave", "--quarter", "2026Q4", "--size", "10", "--seed", "7", "--dry-run", stdout=out)
    assert "50" in out.getvalue() and not SurveyWave.objects.exists()
    out = StringIO()
    call_command("surveys", "wave", "--quarter", "2026q4", "--size", "10", "--seed", "7", "--batch", "4",
                 stdout=out, stderr=StringIO())
    wave = SurveyWave.objects.get()
    assert (wave.quarter, wave.invited, wave.created_by) == ("2026Q4", 10, None)
    assert [(s["province"], s["sample"]) for s in wave.strata] == [("北京", 1), ("广东", 6), ("广东", 3)]
    out = StringIO()
    call_command("surveys", "waves", stdout=out)
    assert f"{wave.pk}\t2026Q4\t10\t0" in out.getvalue()
    with pytest.raises(CommandError, match="2026Q4"):  # one wave per quarter
        call_command("surveys", "wave", "--quarter", "2026Q4", "--size", "10", "--seed", "7", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("surveys", "wave", "--quarter", "2026Q1", "--size", "10", "--seed", "7", "--user", "nobody")
    with pytest.raises(CommandError):
        call_command("surveys", "resume", "987654321")
    out = StringIO()
    call_command("surveys", "resume", str(wave.pk), stdout=out)  # nothing left to send
    assert SurveyWave.objects.get().invited == 10 and Invitation.objects.filter(wave=wave).count() == 10


# --- the quarter's results, through the registry ----------------------------------------------

def test_a_quarters_results_are_frozen_once_its_time_is_over_and_compared(people, administrator, manager_for_results):
    """A wave's answers as the reports' measures: live while it may still be answered, frozen
    (once) when its time is over; the satisfaction page compares the quarter with the one before."""
    from kefu.reports import services as reports

    wave = services.send_wave(services.create_wave(administrator, "2026Q3", 10, 7).pk)
    sent = list(Invitation.objects.filter(wave=wave).order_by("pk"))
    asked = list(wave.instrument.questions.all())
    questions = {(q.type, q.dimension): q.pk for q in asked}
    for invitation, (overall, recommend) in zip(sent, [(9, 10), (6, 3), (8, 9)], strict=False):
        values = {q.pk: 7 for q in asked if q.type == "score"}
        values |= {questions[("score", "overall")]: overall, questions[("recommend", "")]: recommend}
        services.answer(invitation.pk, values)
    live = services.quarter_figures("2026Q3")
    assert live["survey_sent"] == len(sent) and live["survey_answered"] == 3
    assert (live["score:9"], live["score:6"], live["score:8"], live["rec:10"], live["rec:3"]) == (1, 1, 1, 1, 1)
    assert SurveyWave.objects.get(pk=wave.pk).figures_at is None  # still open: nothing kept
    later = wave.sent_at + dt.timedelta(days=wave.expiry_days, minutes=1)
    assert services.quarter_figures("2026Q3", now=later) == live
    frozen = SurveyWave.objects.get(pk=wave.pk)
    assert frozen.figures_at == later and frozen.figures == live
    Invitation.objects.filter(wave=wave, status="pending").update(status="answered")  # what a late write would do
    assert services.quarter_figures("2026Q3", now=later) == live  # the kept results, not recomputed
    assert services.quarter_figures("2026Q2") is None
    # The satisfaction page's section: 2 of 3 satisfied; NPS (2 promoters − 1 detractor) / 3 answers.
    section = reports.relationship(dt.date(2026, 9, 30))
    values = {row["code"]: row["value"] for row in section["rows"]}
    assert section["quarter"] == "2026Q3" and section["previous"] == "2026Q2" and section["last_year"] == "2025Q3"
    assert values["satisfaction_rate"] == pytest.approx(2 / 3) and values["nps"] == pytest.approx(100 / 3)
    assert values["response_rate"] == pytest.approx(3 / len(sent))
    assert all(row["previous"] is None for row in section["rows"])


@pytest.fixture
def manager_for_results(make_user):
    return make_user(roles.MANAGER, None, "results-manager")
