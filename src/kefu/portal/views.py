"""Portal pages: each view reads the request, calls portal.services, renders. No rules here.

The signed-in customer lives in the session under "portal_customer", apart from staff login
(request.user): one never counts as the other. It ends on sign-out and after
KEFU_SESSION_IDLE_MINUTES without a request, like a staff session."""

import functools
import time

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from kefu.core.errors import NotFound, RateLimited, ServiceError, ValidationFailed
from kefu.core.masking import mask_phone
from kefu.orders.models import OPEN_STATUSES, Status

from . import forms
from . import services as portal

SESSION_KEY = "portal_customer"
SEEN_KEY = "portal_seen"
LOGIN_KEY = "portal_login"
PAGE_SIZE = 20


def _sign_out(request):
    for key in (SESSION_KEY, SEEN_KEY, LOGIN_KEY):
        request.session.pop(key, None)


def current_customer(request):
    """The signed-in customer, or None (never signed in, signed out, idle too long, gone)."""
    customer_id = request.session.get(SESSION_KEY)
    if customer_id is None:
        return None
    now = time.time()
    customer = portal.signed_in_customer(customer_id) if now - request.session.get(SEEN_KEY, 0) <= settings.SESSION_COOKIE_AGE else None
    if customer is None:
        _sign_out(request)
        return None
    request.session[SEEN_KEY] = now
    return customer


def customer_required(view):
    @functools.wraps(view)
    @never_cache
    def wrapped(request, *args, **kwargs):
        customer = current_customer(request)
        if customer is None:
            return redirect("portal:login")
        request.portal_customer = customer
        return view(request, customer, *args, **kwargs)
    return wrapped


def _render(request, template, context=None, status=200):
    customer = getattr(request, "portal_customer", None)
    context = {"signed_in": customer is not None, "customer_name": customer.masked_name if customer else "", **(context or {})}
    return render(request, template, context, status=status)


# --- signing in and out -----------------------------------------------------------------

@never_cache
def login(request):
    """Step 1: the mobile number. The answer is the same whether or not it is a customer's."""
    if current_customer(request) is not None:
        return redirect("portal:home")
    form = forms.PhoneForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            attempt = portal.request_code(phone)
        except RateLimited as exc:
            form.add_error(None, str(exc.message))
            response = _render(request, "portal/login.html", {"form": form}, status=429)
            response["Retry-After"] = str(exc.extra.get("retry_after", 60))
            return response
        except ValidationFailed as exc:
            form.fail(exc)
            status = 422
        else:
            request.session[LOGIN_KEY] = {"id": attempt.pk, "to": mask_phone(phone)}
            return redirect("portal:code")
    elif request.method == "POST":
        status = 422
    return _render(request, "portal/login.html", {"form": form}, status=status)


@never_cache
def code(request):
    """Step 2: the code from the SMS."""
    pending = request.session.get(LOGIN_KEY)
    if not pending:
        return redirect("portal:login")
    form = forms.CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            customer = portal.verify_code(pending.get("id"), form.cleaned_data["code"])
        except ValidationFailed as exc:
            form.fail(exc)
            status = 422
        else:
            request.session.cycle_key()  # a new session key at sign-in: no fixation
            request.session.pop(LOGIN_KEY, None)
            request.session[SESSION_KEY] = customer.pk
            request.session[SEEN_KEY] = time.time()
            return redirect("portal:home")
    elif request.method == "POST":
        status = 422
    return _render(request, "portal/code.html", {"form": form, "to": pending.get("to", ""), "minutes": portal.CODE_MINUTES},
                   status=status)


@never_cache
def logout(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    _sign_out(request)
    request.session.cycle_key()
    messages.success(request, _("You have signed out."))
    return redirect("portal:login")


# --- the customer's requests --------------------------------------------------------------

@customer_required
def home(request, customer):
    page = Paginator(portal.my_orders(customer), PAGE_SIZE).get_page(request.GET.get("page"))
    for order in page.object_list:
        portal.shown(order)
    return _render(request, "portal/home.html", {"section": "home", "page": page})


@customer_required
def new(request, customer):
    subscriptions = list(portal.live_subscriptions(customer))
    form = forms.NewRequestForm(request.POST or None, subscriptions=subscriptions)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                order = portal.submit(customer, **form.cleaned_data)
            except ServiceError as exc:
                form.fail(exc)
            else:
                messages.success(request, _("Thank you. Your request %(number)s has been received.") % {"number": order.number})
                return redirect("portal:order", order.pk)
    return _render(request, "portal/new.html", {"section": "new", "form": form}, status=status)


def _order_page(request, customer, order_id, *, answer=None, feedback=None, withdrawal=None, status=200):
    try:
        order = portal.shown(portal.my_order(customer, order_id))
    except NotFound:
        raise Http404 from None
    context = {
        "order": order, "customer_status": order.customer_status, "progress": portal.progress(customer, order),
        "question": portal.question(order), "feedback": portal.feedback_of(customer, order),
        "answer_form": answer or forms.AnswerForm(), "feedback_form": feedback or forms.FeedbackForm(),
        "withdraw_form": withdrawal or forms.WithdrawForm(),
        "waiting": order.status == Status.WAITING_CUSTOMER, "resolved": order.status == Status.RESOLVED,
        "open": order.status in OPEN_STATUSES,
    }
    return _render(request, "portal/order.html", context, status=status)


@customer_required
def order(request, customer, order_id):
    return _order_page(request, customer, order_id)


def _post(view):
    """POST only, for a signed-in customer; a refusal because the order moved on meanwhile
    becomes a message on the order page."""
    @customer_required
    @functools.wraps(view)
    def wrapped(request, customer, order_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            return view(request, customer, order_id)
        except NotFound:
            raise Http404 from None
        except ServiceError as exc:  # e.g. the order moved on meanwhile (409)
            messages.error(request, str(exc.message))
            return redirect("portal:order", order_id)
    return wrapped


def _act(request, customer, order_id, form, call, done, form_name):
    """A form on the order page: CALL(cleaned data) the service, then the message DONE() and
    back to the page; refused, the page again with the form's errors under FORM_NAME."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationFailed as exc:
            form.fail(exc)
        else:
            messages.success(request, done())
            return redirect("portal:order", order_id)
    return _order_page(request, customer, order_id, status=422, **{form_name: form})


@_post
def answer(request, customer, order_id):
    return _act(request, customer, order_id, forms.AnswerForm(request.POST),
                lambda data: portal.answer(customer, order_id, text=data["text"]),
                lambda: _("Thank you. Your answer has been passed on and we are working on your request again."), "answer")


@_post
def feedback(request, customer, order_id):
    def done():
        if portal.my_order(customer, order_id).status in OPEN_STATUSES:  # disputed, or a low score reopened it
            return _("Thank you. We are sorry the problem is not solved: your request is being handled again.")
        return _("Thank you for your feedback.")

    return _act(request, customer, order_id, forms.FeedbackForm(request.POST),
                lambda data: portal.give_feedback(customer, order_id, **data), done, "feedback")


@_post
def withdraw(request, customer, order_id):
    return _act(request, customer, order_id, forms.WithdrawForm(request.POST),
                lambda data: portal.withdraw(customer, order_id, reason=data["reason"]),
                lambda: _("Your request has been withdrawn."), "withdrawal")


# --- satisfaction surveys (the SMS link's page) ---------------------------------------------

def _survey_values(post, questions) -> dict:
    """The form's answers, as surveys.services.answer takes them: {question id: value}."""
    from kefu.surveys.services import CHOICE_TYPES

    values = {}
    for q in questions:
        name = f"q{q.pk}"
        values[q.pk] = post.getlist(name) if q.type == "multiple" else post.get(name, "")
        if q.type in CHOICE_TYPES and q.type != "multiple" and values[q.pk] == "":
            values[q.pk] = None
    return values


@never_cache
def survey(request, token):
    """A survey by its link: the questions, or what became of it (answered, expired, withdrawn)."""
    from kefu.surveys import services as surveys

    invitation = surveys.by_token(token)
    if invitation is None:
        raise Http404
    questions = list(invitation.instrument.questions.all())
    errors: dict = {}
    given: dict = {}
    status = 200
    if request.method == "POST":
        given = _survey_values(request.POST, questions)
        try:
            surveys.answer(invitation.pk, given)
        except ValidationFailed as exc:
            errors, status = {k.removeprefix("answers."): v for k, v in exc.fields.items()}, 422
        except ServiceError:
            pass  # answered, expired or withdrawn: the page says so
        invitation.refresh_from_db()
    rows = [{"q": q, "error": errors.get(str(q.pk)), "given": given.get(q.pk)} for q in questions]
    return _render(request, "portal/survey.html", {
        "invitation": invitation, "state": surveys.state(invitation), "rows": rows, "errors": bool(errors),
        "scores": {"score": range(1, 11), "recommend": range(0, 11)}}, status=status)


@never_cache
def survey_stop(request, token):
    """退订: the customer asks for no more surveys (every channel), from the survey's page."""
    from kefu.surveys import services as surveys

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    invitation = surveys.by_token(token)
    if invitation is None:
        raise Http404
    surveys.opt_out(invitation.customer, "sms_link")
    messages.success(request, _("You will receive no more surveys from us."))
    return redirect("portal:survey", token)
