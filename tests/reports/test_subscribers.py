"""The subscriber base: Kefu's own subscriptions ("kefu" rows, rewritten by refresh) plus the
subscribers the billing system reports ("billing" rows, loaded by record_billing and
`kefu reports subscribers`); the per-subscriber rates divide by the sum of both."""

import datetime as dt
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from kefu.core.errors import ValidationFailed
from kefu.demo import base
from kefu.demo.seed import WINDOW_DAYS
from kefu.reports import periods, queries, services, subscribers
from kefu.reports.models import SubscriberFlow

EVERYTHING = queries.Scope(everything=True)
BILLING, KEFU = SubscriberFlow.Source.BILLING, SubscriberFlow.Source.KEFU
DAY = dt.date(2024, 1, 1)


def flows(source) -> list[tuple]:
    return sorted(SubscriberFlow.objects.filter(source=source).values_list("day", "province", "city", "product", "delta"))


def test_refresh_rewrites_kefus_rows_and_keeps_the_billing_rows(subscription):
    assert subscribers.record_billing([(DAY, "广东", "广州", "mobile", 5000), ("2024-02-01", "广东", "深圳", "broadband", "-20")]) == 2
    billing = flows(BILLING)
    assert billing == [(DAY, "广东", "广州", "mobile", 5000), (dt.date(2024, 2, 1), "广东", "深圳", "broadband", -20)]
    subscribers.refresh()
    subscribers.refresh()  # twice: Kefu's rows are rewritten, not added to
    assert flows(KEFU) == [(DAY, "广东", "广州", "mobile", 1)]
    assert flows(BILLING) == billing
    # The count is the sum of both sources, by province too.
    assert queries.subscribers(dt.date(2024, 1, 31)) == 5001
    assert queries.subscribers(dt.date(2024, 2, 1)) == 4981
    assert queries.subscribers(dt.date(2024, 2, 1), by_province=True) == {"广东": 4981}
    assert queries.subscribers(dt.date(2023, 12, 31)) == 0


@pytest.mark.parametrize(("row", "field", "number"), [
    (("2024-13-01", "广东", "广州", "mobile", 1), "day", 3),
    (("", "广东", "广州", "mobile", 1), "day", 3),
    ((dt.datetime(2024, 1, 1, 8), "广东", "广州", "mobile", 1), "day", 3),
    ((DAY, "  ", "广州", "mobile", 1), "province", 3),
    ((DAY, "广东" * 11, "广州", "mobile", 1), "province", 3),
    ((DAY, "广东", "广州", "5G", 1), "product", 3),
    ((DAY, "广东", "广州", "Mobile", 1), "product", 3),
    ((DAY, "广东", "广州", "mobile", "1.5"), "change", 3),
    ((DAY, "广东", "广州", "mobile", True), "change", 3),
    ((DAY, "广东", "广州", "mobile", 2**31), "change", 3),
    ((DAY, "广东", "广州", "mobile"), "row", 3),
])
def test_record_billing_names_the_row_and_the_field_and_stores_nothing(db, row, field, number):
    good = (DAY, "广东", "广州", "mobile", 100)
    with pytest.raises(ValidationFailed) as caught:
        subscribers.record_billing([good, good, row, good])
    error = caught.value
    assert list(error.fields) == [field]
    assert error.extra == {"row": number}
    assert error.message.startswith(f"Row {number}")
    assert not SubscriberFlow.objects.exists()


def test_record_billing_messages_read_in_chinese(db):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as caught:
        subscribers.record_billing([(DAY, "广东", "广州", "5G", 1)], start=2)
    assert caught.value.message == "第 2 行，产品类型：“5G”不是以下之一：mobile, broadband, fixed_line, value_added。"


def test_record_billing_adds_or_replaces_the_billing_rows_only(subscription):
    subscribers.refresh()
    subscribers.record_billing([(DAY, "广东", "广州", "mobile", 100)])
    subscribers.record_billing([(DAY, "广东", "广州", "mobile", 50)])
    assert queries.subscribers(DAY) == 151
    assert subscribers.record_billing([(DAY, "北京", "", "fixed_line", 7), (DAY, "北京", "", "value_added", 3)], replace=True) == 2
    assert flows(BILLING) == [(DAY, "北京", "", "fixed_line", 7), (DAY, "北京", "", "value_added", 3)]
    assert flows(KEFU) == [(DAY, "广东", "广州", "mobile", 1)]
    # A failed replacement leaves the rows as they were.
    with pytest.raises(ValidationFailed):
        subscribers.record_billing([(DAY, "上海", "上海", "mobile", 1), (DAY, "上海", "上海", "mobile", "x")], replace=True)
    assert flows(BILLING) == [(DAY, "北京", "", "fixed_line", 7), (DAY, "北京", "", "value_added", 3)]


def _csv(tmp_path, text: str, name="billing.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_the_command_reads_a_csv_file(db, tmp_path):
    path = _csv(tmp_path, "\ufeffday,province,city,product,change\r\n"
                          "2024-01-01,广东,广州,mobile,120000\r\n"
                          "2024-01-01,广东,深圳,broadband,30000\r\n"
                          "2024-02-01,广东,广州,mobile,-150\r\n\r\n")
    out = StringIO()
    call_command("reports", "subscribers", path, stdout=out)
    assert "Recorded 3 billing system subscriber rows." in out.getvalue()
    assert flows(BILLING) == [(DAY, "广东", "广州", "mobile", 120000), (DAY, "广东", "深圳", "broadband", 30000),
                              (dt.date(2024, 2, 1), "广东", "广州", "mobile", -150)]
    # Again with --replace: the same rows, not twice as many.
    out = StringIO()
    call_command("reports", "subscribers", path, "--replace", stdout=out)
    assert "Recorded 3 billing system subscriber rows in place of those recorded before." in out.getvalue()
    assert queries.subscribers(dt.date(2024, 2, 1)) == 149850


@pytest.mark.parametrize(("text", "encoding", "says"), [
    ("day,province,city,product,change\n2024-01-01,广东,广州,mobile,1\n2024-01-01,广东,广州,mobile,lots\n",
     "utf-8", "Row 3, change: “lots” is not a whole number."),
    ("day,province,city,product,change\n2024-01-01,广东,广州,mobile,1\n2024-01-01,广东,广州\n",
     "utf-8", "Row 3: a row has five fields"),
    ("day,province,product,change\n2024-01-01,广东,mobile,1\n", "utf-8", "must be the header day,province,city,product,change"),
    ("", "utf-8", "must be the header"),
    ("day,province,city,product,change\n2024-01-01,广东,广州,mobile,1\n", "gbk", "is not UTF-8 text"),
])
def test_the_command_refuses_a_bad_file_and_stores_nothing(db, tmp_path, text, encoding, says):
    with pytest.raises(CommandError, match=says):
        call_command("reports", "subscribers", _csv(tmp_path, text, encoding=encoding), stdout=StringIO())
    assert not SubscriberFlow.objects.exists()


def test_the_command_refuses_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("reports", "subscribers", str(tmp_path / "none.csv"), stdout=StringIO())


def test_the_rates_divide_by_both_sources(data):
    """Two complaints registered today (the data fixture: one customer in 广东 with one mobile
    subscription): per 10,000 of Kefu's one subscription alone, then of the whole base."""
    period = periods.month(timezone.localdate())
    subscribers.refresh()
    alone = services.compute(["complaints_per_10k", "appeals_per_million"], period, EVERYTHING)[""]
    assert alone["complaints_per_10k"] == pytest.approx(2 * 10_000 / 1)
    subscribers.record_billing([(DAY, "广东", "广州", "mobile", 9_999), (DAY, "广东", "深圳", "broadband", 5_000),
                                (DAY, "北京", "北京", "mobile", 5_000)])
    whole = services.compute(["complaints_per_10k", "appeals_per_million"], period, EVERYTHING)[""]
    assert whole["complaints_per_10k"] == pytest.approx(2 * 10_000 / 20_000)
    assert whole["appeals_per_million"] == 0
    by_province = services.compute(["complaints_per_10k"], period, EVERYTHING, by="province")
    assert by_province["广东"]["complaints_per_10k"] == pytest.approx(2 * 10_000 / 15_000)
    # Rows after the period's midpoint do not count yet.
    subscribers.record_billing([(period.midpoint + dt.timedelta(days=1), "广东", "广州", "mobile", 80_000)])
    assert services.compute(["complaints_per_10k"], period, EVERYTHING)[""]["complaints_per_10k"] == pytest.approx(1.0)


# --- the demo's base -------------------------------------------------------------------------

COUNTS = Counter({("广东", "广州", "mobile"): 900, ("广东", "深圳", "mobile"): 600, ("广东", "广州", "broadband"): 500,
                  ("广东", "深圳", "fixed_line"): 120, ("广东", "佛山", "value_added"): 40, ("广东", "佛山", "broadband"): 33,
                  ("广东", "佛山", "mobile"): 7})
TODAY = dt.date(2026, 3, 20)


def test_the_demo_base_is_about_600000_spread_like_the_demo_and_deterministic():
    rows = base.billing_rows(COUNTS, TODAY)
    first = TODAY - dt.timedelta(days=WINDOW_DAYS)
    on_first = [r for r in rows if r[0] == first]
    assert sum(r[4] for r in on_first) == 600_000
    # Mobile most, then broadband, fixed line, value-added.
    by_product = Counter()
    for _day, _province, _city, product, n in on_first:
        by_product[product] += n
    assert [p for p, _n in by_product.most_common()] == ["mobile", "broadband", "fixed_line", "value_added"]
    # Within a product, in proportion to the demo's subscriptions.
    mobile = {r[2]: r[4] for r in on_first if r[3] == "mobile"}
    assert mobile["广州"] / mobile["深圳"] == pytest.approx(900 / 600, rel=1e-4)
    assert {(r[1], r[2], r[3]) for r in on_first} == set(COUNTS)
    # A small steady growth on the 1st of each month since.
    growth = Counter()
    for day, *_rest, n in rows:
        if day != first:
            growth[day] += n
    assert sorted(growth) == [dt.date(2025, 12, 1), dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    assert all(100 <= n <= 1000 for n in growth.values())
    # Deterministic: the same again, whatever the order the counts come in.
    assert base.billing_rows(Counter(dict(reversed(list(COUNTS.items())))), TODAY) == rows
    assert base.billing_rows(Counter(), TODAY) == []


def test_the_demo_base_is_recorded_as_the_billing_systems(db):
    rows = base.billing_rows(COUNTS, TODAY)
    subscribers.record_billing(rows, replace=True)
    assert queries.subscribers(TODAY) == sum(r[4] for r in rows)
    assert queries.subscribers(TODAY, by_province=True) == {"广东": sum(r[4] for r in rows)}


def test_the_admin_lists_the_rows_by_source(client, subscription):
    from kefu.staff.models import User

    subscribers.refresh()
    subscribers.record_billing([(DAY, "北京", "北京", "broadband", 4321)])
    client.force_login(User.objects.create_superuser("root", password="pw"))
    everything = client.get("/admin/reports/subscriberflow/")
    assert everything.status_code == 200 and everything.context["cl"].result_count == 2
    assert "4321" in everything.text and "billing system" in everything.text and "Kefu&#x27;s subscriptions" in everything.text
    billing = client.get("/admin/reports/subscriberflow/?source__exact=billing")
    assert billing.status_code == 200
    assert [(r.source, r.delta) for r in billing.context["cl"].result_list] == [("billing", 4321)]
    assert client.get("/admin/reports/subscriberflow/add/").status_code == 403
