"""Report subscriptions: the report of each period by e-mail through a real SMTP server (aiosmtpd,
in-process) with its Excel and PDF files, and in the inbox; retried after a failed send, never
sent twice, and always as the subscriber sees it."""

import datetime as dt
import email
import email.policy
import io
import socket
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.utils import timezone, translation
from openpyxl import load_workbook
from pypdf import PdfReader

from kefu.core.errors import Forbidden, ValidationFailed
from kefu.notifications.models import Notification
from kefu.orders import services as orders
from kefu.reports import delivery, periods, rollups
from kefu.reports.models import ReportSubscription
from kefu.staff import roles

ZONE = ZoneInfo(settings.TIME_ZONE)
TODAY = timezone.localdate(timezone=ZONE)
THIS_MONTH = periods.month(TODAY)
AFTER = THIS_MONTH.last + dt.timedelta(days=1)
NOW = dt.datetime.combine(AFTER, dt.time(8, 0), tzinfo=ZONE)  # the morning after this month ended


class Inbox:
    """An aiosmtpd handler keeping what it receives."""

    def __init__(self):
        self.received: list[tuple[str, list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, settings):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.inbox, self.controller = Inbox(), None
        settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                        "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 5}}}

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self):
        return self.inbox.received


@pytest.fixture
def smtp(settings):
    server = SmtpServer(settings)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def manager(make_user):
    user = make_user(roles.MANAGER, None, "manager")
    user.email, user.language, user.display_name = "manager@example.com", "zh-hans", "王经理"
    user.save(update_fields=["email", "language", "display_name"])
    return user


def attachments(message) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


def sheet_rows(xlsx: bytes) -> list[list]:
    book = load_workbook(io.BytesIO(xlsx))
    return [[c for c in row] for ws in book.worksheets for row in ws.iter_rows(values_only=True)]


def names(rows: list[list]) -> set[str]:
    return {str(row[0]) for row in rows if row and row[0] is not None}


def league_registered(rows: list[list]) -> dict[str, int]:
    """{staff member: orders registered} from the league table's rows (the first figure)."""
    return {row[0]: row[1] for row in rows if row and row[0] in {"agent", "colleague"} and isinstance(row[1], int)}


def pdf_text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_monthly_report_arrives_by_email_and_in_the_inbox(smtp, data, manager):
    sub = delivery.subscribe(manager, "monthly")
    assert delivery.send_due(NOW) == {"sent": 1, "failed": 0, "skipped": 0}
    [(sender, recipients, message)] = smtp.received
    assert sender == settings.DEFAULT_FROM_EMAIL and recipients == ["manager@example.com"]
    assert message["To"] == "manager@example.com"
    assert "服务质量报告" in message["Subject"]  # the manager reads Chinese
    files = attachments(message)
    code = THIS_MONTH.code
    assert sorted(files) == [f"服务质量报告-{code}.pdf", f"服务质量报告-{code}.xlsx"]
    rows = sheet_rows(files[f"服务质量报告-{code}.xlsx"])
    assert {"受理量", "满意率"} <= names(rows)  # indicators, named in Chinese
    # Management compares departments; no person's row.
    assert "部门对比" in load_workbook(io.BytesIO(files[f"服务质量报告-{code}.xlsx"])).sheetnames
    assert league_registered(rows) == {}
    text = pdf_text(files[f"服务质量报告-{code}.pdf"])
    assert "受理量" in text and "满意率" in text
    body = message.get_body(("plain",)).get_content()
    assert f"/reports/?period={code}" in body and body.startswith("王经理，您好")  # by the name people know
    note = Notification.objects.get(recipient=manager)
    # The inbox links to the report page (a path on this site); the message no longer carries it.
    assert note.link == f"/reports/?period={code}" and note.order_id is None
    with translation.override("zh-hans"):
        assert note.message == f"您订阅的{THIS_MONTH.label}服务质量报告已生成。"
    sub.refresh_from_db()
    assert (sub.last_period_start, sub.last_sent_at) == (THIS_MONTH.first, NOW)
    # A second run, and a later one in the same month, send nothing more.
    assert delivery.send_due(NOW) == {"sent": 0, "failed": 0, "skipped": 0}
    assert delivery.send_due(NOW + dt.timedelta(days=20)) == {"sent": 0, "failed": 0, "skipped": 0}
    assert len(smtp.received) == 1 and Notification.objects.filter(recipient=manager).count() == 1


def test_a_failed_send_is_retried_on_the_next_run(smtp, data, manager):
    sub = delivery.subscribe(manager, "monthly")
    smtp.stop()  # the mail server is down
    assert delivery.send_due(NOW) == {"sent": 0, "failed": 1, "skipped": 0}
    sub.refresh_from_db()
    assert (sub.last_period_start, sub.last_sent_at) == (None, None)
    assert not Notification.objects.filter(recipient=manager).exists()
    smtp.start()
    assert delivery.send_due(NOW + dt.timedelta(hours=1)) == {"sent": 1, "failed": 0, "skipped": 0}
    assert len(smtp.received) == 1
    sub.refresh_from_db()
    assert sub.last_period_start == THIS_MONTH.first
    assert Notification.objects.filter(recipient=manager).count() == 1


@pytest.fixture
def two_agents_mail(smtp, data, customer, subscription, make_user, manager):
    """The agent's 2 orders and a colleague's 1; the agent's and the manager's monthly reports."""
    colleague = make_user(roles.AGENT, "front-office", "colleague")
    orders.create_order(colleague, kind="inquiry", title="查询套餐余量", customer_id=customer.pk,
                        subscription_id=subscription.pk, channel="hotline")
    rollups.rebuild()
    agent = data
    agent.email = "agent@example.com"
    agent.save(update_fields=["email"])
    delivery.subscribe(agent, "monthly")
    delivery.subscribe(manager, "monthly")
    assert delivery.send_due(NOW)["sent"] == 2
    mail = {recipients[0]: message for _sender, recipients, message in smtp.received}
    code = THIS_MONTH.code
    return (sheet_rows(attachments(mail["agent@example.com"])[f"Service quality report-{code}.xlsx"]),
            sheet_rows(attachments(mail["manager@example.com"])[f"服务质量报告-{code}.xlsx"]), mail)


def test_an_agents_report_holds_only_their_own_figures(two_agents_mail):
    mine, everything, mail = two_agents_mail
    assert "Orders registered" in names(mine)  # in the agent's language (the installation's: en here)
    assert "Service quality report" in mail["agent@example.com"]["Subject"]
    assert set(league_registered(mine)) == {"agent"}  # their own row, never a colleague's
    assert "colleague" not in {str(c) for row in mine for c in row if c is not None}
    assert league_registered(everything) == {}  # management's report compares departments


def test_an_agents_own_figures_count_their_registrations(two_agents_mail):
    mine, _everything, _mail = two_agents_mail
    assert league_registered(mine) == {"agent": 2}


def test_in_app_only_subscriptions_send_no_mail(smtp, data, agent):
    sub = delivery.subscribe(agent, "weekly", email=False)
    assert delivery.send_due(NOW) == {"sent": 1, "failed": 0, "skipped": 0}
    assert smtp.received == []
    week = periods.last_complete(periods.WEEK, AFTER)
    note = Notification.objects.get(recipient=agent)
    assert note.link == f"/reports/?period={week.code}" and note.order_id is None
    assert note.message == f"Your service quality report for {week.label} is ready."  # the agent reads English
    sub.refresh_from_db()
    assert sub.last_period_start == week.first


def test_subscribing(db, agent, auditor):
    with pytest.raises(ValidationFailed) as err:
        delivery.subscribe(agent, "monthly")  # no e-mail address
    assert "email" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        delivery.subscribe(agent, "hourly", email=False)
    assert "frequency" in err.value.fields
    with pytest.raises(Forbidden):
        delivery.subscribe(auditor, "monthly", email=False)
    agent.email = "agent@example.com"
    delivery.subscribe(agent, "monthly")
    delivery.subscribe(agent, "daily", email=False)
    assert [(s.frequency, s.email) for s in delivery.subscriptions(agent)] == [("daily", False), ("monthly", True)]
    assert delivery.unsubscribe(agent, "daily") is True
    assert delivery.unsubscribe(agent, "daily") is False
    assert [s.frequency for s in delivery.subscriptions(agent)] == ["monthly"]
    again = delivery.subscribe(agent, "daily")
    assert again.is_active and again.email and ReportSubscription.objects.filter(user=agent).count() == 2


def test_each_frequency_is_due_for_its_last_complete_period(db):
    tuesday = dt.date(2026, 12, 1)
    cases = {"daily": (periods.DAY, dt.date(2026, 11, 30)), "weekly": (periods.WEEK, dt.date(2026, 11, 23)),
             "monthly": (periods.MONTH, dt.date(2026, 11, 1)), "quarterly": (periods.QUARTER, dt.date(2026, 7, 1))}
    for frequency, (kind, first) in cases.items():
        sub = ReportSubscription(frequency=frequency)
        period = delivery.due(sub, tuesday)
        assert (period.kind, period.first) == (kind, first)
        sub.last_period_start = first
        assert delivery.due(sub, tuesday) is None
        sub.last_period_start = first - dt.timedelta(days=1)
        assert delivery.due(sub, tuesday) == period
