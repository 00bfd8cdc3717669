"""The shape of the demo: how often what happens, how long things take, how late work may be.

Tuning these changes the data (the draws stay in the same order); the texts are in words.py.
"""

import datetime as dt

from kefu.contacts.models import Channel, IdentityVerification
from kefu.customers.models import Subscription
from kefu.orders.models import OPEN_STATUSES, Kind, Severity, Status

from .draws import Weighted

DEMO_SERVICE_PASSWORD = "123456"
WINDOW_DAYS = 120
CHUNK = 5000  # orders or customers built and inserted at a time: bounded memory, big batches
# Runs adding at least this many orders drop the tables' secondary indexes (and on PostgreSQL
# their foreign keys) for the load and make them again at its end (rows.bulk_load).
BULK_LOAD_ORDERS = 50_000

S = Status
Product = Subscription.Product

# The product an order of a category is about (the rest: mobile), and how often each category is drawn.
CATEGORY_PRODUCT = {
    "fault-no-signal": Product.MOBILE, "fault-mobile-data": Product.MOBILE, "fault-call-quality": Product.MOBILE,
    "cmp-quality-signal": Product.MOBILE, "consult-usage": Product.MOBILE, "biz-plan-change": Product.MOBILE,
    "fault-broadband-down": Product.BROADBAND, "fault-broadband-slow": Product.BROADBAND, "fault-iptv": Product.BROADBAND,
    "fault-device": Product.BROADBAND, "cmp-quality-broadband": Product.BROADBAND, "biz-install": Product.BROADBAND,
    "fault-line": Product.FIXED_LINE, "fault-fixed-line": Product.FIXED_LINE,
    "biz-vas": Product.VALUE_ADDED, "cmp-billing-vas": Product.VALUE_ADDED,
}
CATEGORY_WEIGHTS = {"consult-bill": 3, "consult-plan": 3, "consult-balance": 2, "biz-plan-change": 3, "biz-vas": 2,
                    "fault-broadband-down": 4, "fault-broadband-slow": 3, "fault-no-signal": 2,
                    "cmp-billing-wrong": 3, "cmp-billing-vas": 2, "cmp-quality-broadband": 2}

KIND_WEIGHTS = [(Kind.CONSULTATION, 30), (Kind.BUSINESS, 22), (Kind.FAULT, 25), (Kind.COMPLAINT, 15),
                (Kind.SUGGESTION, 4), (Kind.PRAISE, 4)]
# Final status by the order's age in days (up to the first number): intake is even over the
# window, young orders are mostly open, old ones closed but for a few overdue stragglers.
STATUS_BY_AGE = [
    (1, [(S.NEW, 22), (S.ACCEPTED, 18), (S.ASSIGNED, 18), (S.IN_PROGRESS, 15), (S.WAITING_CUSTOMER, 3),
         (S.RESOLVED, 8), (S.CONFIRMED, 2), (S.CLOSED, 8), (S.CANCELLED, 4), (S.REJECTED, 2)]),
    (3, [(S.NEW, 3), (S.ACCEPTED, 4), (S.ASSIGNED, 9), (S.IN_PROGRESS, 18), (S.WAITING_CUSTOMER, 7),
         (S.RESOLVED, 15), (S.CONFIRMED, 6), (S.CLOSED, 30), (S.CANCELLED, 5), (S.REJECTED, 3)]),
    (7, [(S.NEW, 0.5), (S.ACCEPTED, 0.5), (S.ASSIGNED, 3), (S.IN_PROGRESS, 9), (S.WAITING_CUSTOMER, 6),
         (S.RESOLVED, 5), (S.CONFIRMED, 4), (S.CLOSED, 63), (S.CANCELLED, 6), (S.REJECTED, 3)]),
    (WINDOW_DAYS, [(S.NEW, 0.03), (S.ACCEPTED, 0.05), (S.ASSIGNED, 0.15), (S.IN_PROGRESS, 0.5),
                   (S.WAITING_CUSTOMER, 0.3), (S.RESOLVED, 0.1), (S.CONFIRMED, 0.3), (S.CLOSED, 86),
                   (S.CANCELLED, 8), (S.REJECTED, 4)]),
]
CHANNEL_WEIGHTS = [(Channel.HOTLINE, 45), (Channel.ONLINE_CHAT, 14), (Channel.WECHAT, 10), (Channel.SELF_SERVICE, 8),
                   (Channel.STORE, 9), (Channel.EMAIL, 3), (Channel.SOCIAL_MEDIA, 2), (Channel.LETTER, 1),
                   (Channel.ACCOUNT_MANAGER, 3)]
SEVERITY_WEIGHTS = {
    Kind.COMPLAINT: [(Severity.GENERAL, 70), (Severity.URGENT, 22), (Severity.MAJOR, 8)],
    Kind.FAULT: [(Severity.GENERAL, 75), (Severity.URGENT, 22), (Severity.MAJOR, 3)],
    Kind.BUSINESS: [(Severity.GENERAL, 90), (Severity.URGENT, 10)],
    Kind.CONSULTATION: [(Severity.GENERAL, 97), (Severity.URGENT, 3)],
}
HOUR_WEIGHTS = [1, 1, 0.5, 0.5, 0.5, 1, 2, 4, 8, 10, 10, 9, 7, 8, 9, 9, 8, 7, 7, 7, 6, 5, 3, 2]
# Minutes between an order's events, by action: (shortest, longest); short gaps are likelier.
# Answers to a resolution stay well inside KEFU_AUTO_CONFIRM_HOURS (72 h), or auto-confirm would
# have come first.
GAPS = {"accept": (1, 60), "assign": (5, 240), "assign_dept": (5, 240), "claim": (10, 480), "start": (5, 1440),
        "wait": (60, 2880), "resume": (120, 4320), "transfer": (30, 1440), "resolve": (60, 4320),
        "confirm_fb": (120, 3300), "confirm": (60, 2880), "feedback_low": (120, 2880), "dispute": (120, 2880),
        "reopen": (120, 3300), "reopen_closed": (1440, 14400), "close": (10, 1440), "reject": (10, 1440),
        "cancel": (10, 2880), "reply": (1, 10)}
DAY = dt.timedelta(days=1)
# Hours an open order may be old before one of its clocks runs late, by (kind, severity): the
# tightest running target of the default policies (sla/defaults.py) once the order has had its
# first reply — resolution, investigation, feedback, or the interval between updates to the
# customer — with working days counted short (N·24 − 6 h: a start late in the evening). NEW
# orders have acceptance and first response still running: OPEN_NEW_BUDGET_HOURS. A well-run
# centre's backlog is younger than these; tests/demo measures the clocks the demo really gets.
OPEN_BUDGET_HOURS = {
    (Kind.CONSULTATION, Severity.GENERAL): 2, (Kind.CONSULTATION, Severity.URGENT): 2,
    (Kind.BUSINESS, Severity.GENERAL): 48, (Kind.BUSINESS, Severity.URGENT): 18,
    (Kind.FAULT, Severity.GENERAL): 24, (Kind.FAULT, Severity.URGENT): 4, (Kind.FAULT, Severity.MAJOR): 1,
    (Kind.COMPLAINT, Severity.GENERAL): 24, (Kind.COMPLAINT, Severity.URGENT): 24, (Kind.COMPLAINT, Severity.MAJOR): 4,
    (Kind.SUGGESTION, Severity.GENERAL): 48, (Kind.PRAISE, Severity.GENERAL): 24,
}
OPEN_NEW_BUDGET_HOURS = {
    (Kind.CONSULTATION, Severity.GENERAL): 0.25, (Kind.CONSULTATION, Severity.URGENT): 0.25,
    (Kind.BUSINESS, Severity.GENERAL): 24, (Kind.BUSINESS, Severity.URGENT): 1,
    (Kind.FAULT, Severity.GENERAL): 1, (Kind.FAULT, Severity.URGENT): 0.5, (Kind.FAULT, Severity.MAJOR): 0.25,
    (Kind.COMPLAINT, Severity.GENERAL): 1, (Kind.COMPLAINT, Severity.URGENT): 1, (Kind.COMPLAINT, Severity.MAJOR): 1,
    (Kind.SUGGESTION, Severity.GENERAL): 24, (Kind.PRAISE, Severity.GENERAL): 24,
}
# Share of the orders raised by frequent callers (the rest: any customer alike).
FREQUENT_SHARE = 0.15
# The run's first customer (the README's customer 1) raises this many orders spread over the
# window, besides any it draws like everyone: a handful, as an ordinary customer.
REGULAR_ORDERS = 4
# Finished orders resolved within their budget; the rest took up to twice it.
ON_TIME_SHARE = 0.85
# Of the open orders older than their budget: the share still open and late (the rest were
# finished in time, i.e. closed), and how late at most.
LATE_SHARE = 0.2
MAX_OVERDUE = dt.timedelta(days=2)
# Of the open orders in the last fifth of their budget (at risk): the share still open.
AT_RISK_SHARE = 0.3
# Consultations and praise are answered at first contact but for this share.
OPEN_FIRST_CONTACT_SHARE = 0.25
# Of the finished orders of a kind, the share settled on the call that raised them (一次性解决):
# the agent who took the contact answers or does it there and resolves the order before the
# contact ends; the rest go on to a department. The same share of an order's steps on the call
# take seconds (ON_CALL_STEP_SECONDS each).
SETTLED_ON_CALL = {Kind.CONSULTATION: 0.92, Kind.BUSINESS: 0.5}
ON_CALL_STEP_SECONDS = (10, 90)
# Contacts answered without a work order, per work order: most calls to a hotline are questions
# answered there (the demo's 一次性解决率 lands near its 70–80 % target).
ANSWERED_PER_ORDER = 3
# Staff read their notifications within the day: older ones are written as read.
NOTIFICATIONS_READ_AFTER = dt.timedelta(hours=12)
# A resolution nobody answers is auto-confirmed after 72 h: orders left resolved are younger.
RESOLVED_WITHIN = dt.timedelta(hours=70)
CUSTOMER_VISIBLE = {"resolve", "reject", "cancel", "reopen", "wait"}
OPEN = frozenset(OPEN_STATUSES)

# Where rejected and cancelled orders stopped, how resolutions were confirmed, how callers
# proved who they are, how customers answered a resolution.
REJECT_STOPS = Weighted([(S.NEW, 50), (S.ACCEPTED, 35), (S.ASSIGNED, 15)])
CANCEL_STOPS = Weighted([(S.NEW, 25), (S.ACCEPTED, 20), (S.ASSIGNED, 20), (S.IN_PROGRESS, 20), (S.WAITING_CUSTOMER, 15)])
CONFIRM_WAYS = Weighted([("confirm_fb", 55), ("auto_confirm", 30), ("confirm", 15)])
VERIFY_METHODS = Weighted([(IdentityVerification.Method.SERVICE_PASSWORD, 60),
                           (IdentityVerification.Method.SMS_CODE, 40)])
FEEDBACK_CHANNELS = Weighted([(Channel.HOTLINE, 70), (Channel.WECHAT, 15), (Channel.SELF_SERVICE, 15)])
