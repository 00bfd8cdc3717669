"""Web pages: each view reads the request, calls services, renders. No rules here."""

import datetime as dt
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

import kefu
from kefu.contacts import services as contacts
from kefu.contacts.models import Channel
from kefu.core.errors import Conflict, Forbidden, NotFound, ServiceError, ValidationFailed
from kefu.customers import services as customers
from kefu.knowledge import services as kb
from kefu.orders import services as orders
from kefu.orders.states import ACTION_LABELS
from kefu.quality import services as quality
from kefu.reports import services as report_figures
from kefu.routing import services as routing
from kefu.sla import services as sla
from kefu.staff import services as staff

from . import forms
from . import services as web

PAGE_SIZE = 50


@never_cache
def healthz(request):
    """The database and the background work (kefu.web.worker.health): 503 when the database
    fails or the SLA scan is stale, so a monitor notices a stopped worker too."""
    from .worker import health

    background = None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        db = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
        db = f"error: {exc.__class__.__name__}"
    if db == "ok":
        try:
            background = health()
        except Exception as exc:  # noqa: BLE001 - e.g. a migration not applied yet
            background = {"state": f"error: {exc.__class__.__name__}"}
    healthy = db == "ok" and background.get("healthy", False)
    return JsonResponse({"status": "ok" if healthy else "error", "database": db, "database_vendor": connection.vendor,
                         "version": kefu.__version__, "background": background}, status=200 if healthy else 503)


@login_required
def home(request):
    return render(request, "web/home.html", {"counts": orders.my_queue_counts(request.user)})


def _page(request, qs) -> Page:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


MERGE_INTO = gettext_lazy("Merge into work order (its order number)")
CUSTOMER_CONFIRMED = gettext_lazy("The customer confirmed the problem is solved (record the customer's own words)")

# The order page's and contact screen's inputs by the labels people read there, for refusals
# that name a service's argument (into_id, note): the message names the label, never the code.
FIELD_LABELS = {
    "note": gettext_lazy("Note"), "reason": gettext_lazy("Reason"), "resolution": gettext_lazy("Resolution"),
    "into": MERGE_INTO, "into_id": MERGE_INTO, "customer_confirmed": CUSTOMER_CONFIRMED, "department_id": gettext_lazy("Department"),
    "handler_id": gettext_lazy("Handler"), "new_owner_id": gettext_lazy("New first-contact owner"),
    "answer": gettext_lazy("What the customer answered"), "channel": gettext_lazy("Channel"),
    "visibility": gettext_lazy("Visible to"), "caller": gettext_lazy("Caller number or address"),
    "customer_id": gettext_lazy("Customer"), "summary": pgettext_lazy("resolution", "Summary"),
    "outcome": gettext_lazy("Outcome"), "title": gettext_lazy("Title"), "description": gettext_lazy("Description"),
    "kind": gettext_lazy("Kind"), "severity": gettext_lazy("Severity"), "category_id": gettext_lazy("Category"),
    "subscription_id": gettext_lazy("Service"),
    "customer_no": gettext_lazy("Their customer number"), "customer_summary": gettext_lazy("Customer-visible summary"),
}


def _fail(request, exc: ServiceError, form=None):
    """A refused service call as a message: the reason, then each field by its label (the form's
    own when there is one) and what is wrong with it; a field with no label is not named."""
    def label(name):
        field = form.fields.get(name) if form is not None else None
        return (field.label if field is not None else None) or FIELD_LABELS.get(name)

    details = [_("%(field)s: %(error)s") % {"field": label(name), "error": reason} if label(name) else str(reason)
               for name, reason in (exc.fields or {}).items()]
    messages.error(request, " ".join([str(exc.message), pgettext("list separator", "; ").join(details)]).strip())


def _refused_input(request, form) -> None:
    """A search form's refusals as messages, each naming the field by its label: the search
    pages show no errors by their fields, and a refused filter must not pass for no filter."""
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            messages.error(request, _("%(field)s: %(error)s") % {"field": label, "error": error} if label else error)


def _reads(view):
    """A page for a logged-in user: what is not in their scope (NotFound) answers 404, what
    their permissions do not allow (Forbidden) 403."""
    @login_required
    @wraps(view)
    def wrapped(request, **kwargs):
        try:
            return view(request, **kwargs)
        except NotFound:
            raise Http404 from None
        except Forbidden:
            raise PermissionDenied from None
    return wrapped


def _acts(back):
    """A POST that calls services: 405 for any other method, 404 for what is not in the user's
    scope (_reads), any other refusal a message naming the fields; then back to BACK(view
    arguments), unless the view answered itself."""
    def decorate(view):
        @_reads
        @require_POST
        @wraps(view)
        def wrapped(request, **kwargs):
            try:
                response = view(request, **kwargs)
            except NotFound:
                raise
            except ServiceError as exc:
                _fail(request, exc)
                response = None
            return response or redirect(back(**kwargs))
        return wrapped
    return decorate


def _to_order(order_id, **_kwargs):
    return reverse("web:order", args=[order_id])


def _to_contact(contact_id, **_kwargs):
    return reverse("web:contact", args=[contact_id])


@login_required
def queue(request, which="mine"):
    """My orders, my department's, or all open ones, nearest SLA due first."""
    filters = forms.QueueFilters(request.GET or None)
    refused = filters.is_bound and not filters.is_valid()
    if refused and request.headers.get("HX-Request"):
        # Rows swapped in by htmx would not carry the message: the whole page says what is wrong.
        return HttpResponse(status=204, headers={"HX-Redirect": request.get_full_path()})
    chosen = filters.cleaned_data if filters.is_bound and not refused else {}
    try:
        qs = orders.queue(request.user, which, **{k: v for k, v in chosen.items() if v})
    except ServiceError as exc:
        raise Http404(exc.message) from None
    if refused:
        _refused_input(request, filters)
        qs = qs.none()
    page = _page(request, qs)
    context = {"section": "queue", "which": which, "filters": filters, "page": page,
               "saved": web.saved_views(request.user), "save_form": forms.SavedViewForm(),
               "query": request.GET.urlencode(),
               # 交接班 goes to a colleague: the people of the user's department (everyone without one).
               "people": staff.active_staff(request.user.department_id).exclude(pk=request.user.pk) if which == "mine" else ()}
    template = "web/_queue_rows.html" if request.headers.get("HX-Request") else "web/queue.html"
    return render(request, template, context)


@_acts(back=lambda which: reverse("web:queue", args=[which]))
def save_view(request, which):
    form = forms.SavedViewForm(request.POST)
    if form.is_valid():
        web.save_view(request.user, name=form.cleaned_data["name"], queue=which, query=request.POST.get("query", ""))
        messages.success(request, _("View saved."))
    return redirect(f"{reverse('web:queue', args=[which])}?{request.POST.get('query', '')}")


@_acts(back=lambda view_id: reverse("web:queue", args=["mine"]))
def delete_view(request, view_id):
    web.delete_view(request.user, view_id)


@_acts(back=lambda: reverse("web:queue", args=["mine"]))
def hand_over_shift(request):
    try:
        new_owner_id = _int(request.POST.get("new_owner_id"))
    except ValueError:
        messages.error(request, _("A number was expected."))
        return None
    done, remaining = orders.hand_over_shift(request.user, new_owner_id=new_owner_id, reason=request.POST.get("reason", "").strip())
    messages.success(request, _("Handed over %(n)s orders.") % {"n": len(done)})
    if remaining:
        messages.warning(request, _("%(n)s orders remain: hand over again.") % {"n": remaining})


@_reads
def order(request, order_id):
    o = orders.get_order(request.user, order_id)
    events = list(orders.order_events(request.user, order_id))
    context = {"section": "queue", "order": o, "events": events, "sla": sla.sla_state(o),
               "actions": orders.allowed_actions(o, request.user), "links": orders.links_of(request.user, o),
               "departments": staff.active_departments(), "people": staff.active_staff(), "channels": Channel.choices,
               "articles": kb.articles_of(request.user, o), "phrases": kb.phrases(request.user),
               "order_contacts": contacts.contacts_of_order(request.user, o),
               "customer_reads": orders.customer_text(o), "can_edit": orders.can_edit(o, request.user)}
    return render(request, "web/order.html", context)


@_reads
def order_by_number(request, number):
    """/orders/GD20261122000123/: the order page of the order with that number, as typed (any
    case, full-width, spaces around); 404 when there is none or it is out of the user's scope."""
    return redirect("web:order", orders.get_order(request.user, number).pk)


def _int(value):
    return int(value) if value not in (None, "") else None


# Each action: the service that takes it and the form fields it reads (as the API's endpoints).
ACTIONS = {
    "accept": (orders.accept, ["note"]),
    "assign": (routing.assign, ["department_id", "handler_id", "note"]),
    "claim": (orders.claim, ["note"]),
    "release": (orders.release, ["note"]),
    "start": (orders.start, ["note"]),
    "wait": (orders.wait_for_customer, ["reason", "note"]),
    "resume": (orders.resume, ["note"]),
    "answer": (orders.record_answer, ["answer", "channel"]),
    "resolve": (orders.resolve, ["resolution", "note"]),
    "transfer": (routing.transfer, ["department_id", "handler_id", "reason", "note"]),
    "confirm": (orders.confirm, ["channel", "customer_confirmed", "note"]),
    "close": (orders.close, ["note"]),
    "reject": (orders.reject, ["reason", "note"]),
    "cancel": (orders.cancel, ["reason", "note"]),
    "reopen": (orders.reopen, ["reason", "note"]),
    "requeue": (orders.requeue, ["reason", "note"]),
    "escalate": (routing.escalate, ["reason", "department_id", "note"]),
    "deescalate": (routing.deescalate, ["reason", "department_id", "note"]),
    "merge": (orders.merge, ["into", "into_id", "reason", "note"]),
    "handover": (orders.handover, ["new_owner_id", "reason", "note"]),
    "comment": (orders.add_comment, ["note", "visibility"]),
    "customer_summary": (orders.set_customer_summary, ["customer_summary"]),
}
INT_FIELDS = {"department_id", "handler_id", "new_owner_id"}
BOOL_FIELDS = {"customer_confirmed"}  # check boxes: sent when ticked, read as False when not


@_acts(back=_to_order)
def order_action(request, order_id, action):
    if action not in ACTIONS:
        raise Http404
    service, fields = ACTIONS[action]
    try:
        args = {f: (_int(request.POST.get(f)) if f in INT_FIELDS else request.POST.get(f, "").strip())
                for f in fields if f in request.POST and f not in BOOL_FIELDS}
        args |= {f: f in request.POST for f in fields if f in BOOL_FIELDS}
    except ValueError:
        messages.error(request, _("A number was expected."))
        return None
    service(request.user, order_id, **args)
    messages.success(request, _("Done: %(action)s.") % {"action": ACTION_LABELS.get(action, action)})


@login_required
def customer_lookup(request):
    form = forms.CustomerSearch(request.GET or None)
    results = None
    if form.is_valid():
        results = web.lookup_customers(request.user, form.cleaned_data["q"], limit=PAGE_SIZE)
    elif form.is_bound:
        _refused_input(request, form)
    return render(request, "web/customers.html", {"section": "customers", "form": form, "results": results,
                                                  "start": forms.StartContact(initial=_caller_searched(request))})


@login_required
def preferences(request):
    user = request.user
    form = forms.Preferences(request.POST or None, initial={"language": user.language, "time_zone": user.time_zone})
    if request.method == "POST" and form.is_valid():
        try:
            staff.set_preferences(user, **form.cleaned_data)
            messages.success(request, _("Preferences saved."))
            return redirect("web:preferences")
        except ServiceError as exc:
            _fail(request, exc, form)
    return render(request, "web/preferences.html", {"form": form})


# --- the contact screen: the call flow of REQUIREMENTS.md §3 --------------------------------

def _caller_searched(request) -> dict:
    """The start form's caller, pre-filled with the number the agent looked the caller up by."""
    return {"caller": contacts.caller_from_search(request.GET.get("q"))}


@login_required
def contact_start(request):
    """Look the caller up, then open a contact with them (or without a customer yet)."""
    form = forms.StartContact(request.POST or None, initial=_caller_searched(request))
    if request.method == "POST" and form.is_valid():
        try:
            contact = contacts.open_contact(request.user, channel=form.cleaned_data["channel"], caller=form.cleaned_data["caller"],
                                            customer_id=form.cleaned_data["customer_id"])
            return redirect("web:contact", contact.pk)
        except ServiceError as exc:
            _fail(request, exc, form)
    search = forms.CustomerSearch(request.GET or None)
    results = None
    if search.is_valid():
        results = web.lookup_customers(request.user, search.cleaned_data["q"])
    elif search.is_bound:
        _refused_input(request, search)
    return render(request, "web/contact_start.html", {"section": "contacts", "form": form, "search": search, "results": results})


def _contact_context(request, contact, new_order=None, caller_form=None):
    """The contact screen: the caller's file (or the form for an unidentified caller), the work
    orders of this call, and the end of the contact with the outcome that fits what happened."""
    user = request.user
    end = forms.EndContact(initial={"summary": contact.summary, "outcome": contacts.default_outcome(contact)})
    context = {"section": "contacts", "contact": contact, "verify": forms.Verify(), "end": end,
               "call_orders": contacts.orders_of_contact(user, contact)}
    customer = contact.customer_id and customers.get_customer(user, contact.customer_id)
    if customer:
        verified, identity = customers.identity_on_contact(user, customer, contact.pk)
        subscriptions = list(customers.search_subscriptions(user, customer=customer.pk))
        context |= {
            "customer": customer, "verified": verified, "identity": identity, "subscriptions": subscriptions,
            **orders.customer_history(user, customer.pk),
            "past_contacts": [c for c in contacts.search_contacts(user, customer=customer.pk)[:10] if c.pk != contact.pk],
            "new_order": new_order or _new_order(customer, subscriptions),
        }
    else:
        context["caller_form"] = caller_form or forms.RegisterCaller(initial={"phone": contact.caller})
    context["match_form"] = forms.MatchCaller()
    context["inspections"] = quality.of_contact(user, contact)
    return context


def _new_order(customer, subscriptions, data=None):
    return forms.NewOrder(data, categories=orders.active_categories(), subscriptions=subscriptions,
                          kinds=customers.order_kinds(customer) if customer else None)


@_reads
def contact(request, contact_id):
    c = contacts.get_contact(request.user, contact_id)
    return render(request, "web/contact.html", _contact_context(request, c))


@_acts(back=_to_contact)
def contact_verify(request, contact_id):
    form = forms.Verify(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a method and enter what the caller says."))
        return None
    attempt = contacts.verify_identity(request.user, contact_id, **form.cleaned_data)
    if attempt.result == "passed":
        messages.success(request, _("Identity verified."))
    else:
        messages.error(request, _("Verification failed."))
    return None


@_acts(back=_to_contact)
def contact_sms(request, contact_id):
    contacts.send_sms_code(request.user, contact_id)
    messages.success(request, _("A code was sent to the customer's registered mobile number."))


@_acts(back=_to_contact)
def contact_order(request, contact_id):
    c = contacts.get_contact(request.user, contact_id)
    subscriptions = list(customers.search_subscriptions(request.user, customer=c.customer_id)) if c.customer_id else []
    form = _new_order(c.customer, subscriptions, request.POST)
    if not form.is_valid():
        return render(request, "web/contact.html", _contact_context(request, c, new_order=form), status=422)
    data = {k: v for k, v in form.cleaned_data.items() if v not in ("", None)}
    route = data.pop("route", False)
    order = routing.register(request.user, route=route, customer_id=c.customer_id, channel=c.channel, contact_id=c.pk, **data)
    # Back to the call (the agent's home while it lasts), the new order one click away.
    link = format_html('<a href="{}">{}</a>', reverse("web:order", args=[order.pk]), order.number)
    messages.success(request, mark_safe(escape(_("Work order %(number)s registered.")) % {"number": link}))  # both parts escaped
    return None


@_acts(back=_to_contact)
def contact_caller(request, contact_id):
    """An unidentified caller: a provisional file with the name and number they give, so that a
    consultation or complaint can be registered for them (decision 0023)."""
    c = contacts.get_contact(request.user, contact_id)
    form = forms.RegisterCaller(request.POST)
    if form.is_valid():
        try:
            customers.register_caller(request.user, contact_id=c.pk, **form.cleaned_data)
            messages.success(request, _("Caller registered without a customer file: register their consultation or complaint."))
            return None
        except (ValidationFailed, Conflict) as exc:
            _fail(request, exc, form)
    return render(request, "web/contact.html", _contact_context(request, c, caller_form=form), status=422)


@_acts(back=_to_contact)
def contact_match(request, contact_id):
    """The unidentified caller of this contact has a customer file after all (found by its
    customer number, in the agent's scope): their orders and contacts move to it."""
    c = contacts.get_contact(request.user, contact_id)
    form = forms.MatchCaller(request.POST)
    if not form.is_valid() or c.customer_id is None:
        messages.error(request, _("Enter the customer number of their file."))
        return None
    customer = customers.match_caller(request.user, c.customer_id, customer_no=form.cleaned_data["customer_no"])
    messages.success(request, _("The caller's orders and contacts moved to customer file %(number)s.") % {
        "number": customer.customer_no})
    return None


@_acts(back=_to_contact)
def contact_end(request, contact_id):
    c = contacts.get_contact(request.user, contact_id)
    form = forms.EndContact(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an outcome."))
        return None
    contacts.update_contact(request.user, c.pk, version=c.version,
                            changes={**form.cleaned_data, "ended_at": timezone.now()})
    messages.success(request, _("Contact ended."))
    return redirect("web:contact-start")


@login_required
def suggest(request):
    """The triage suggestion for the text typed so far (HTMX partial of the new-order form)."""
    from kefu.triage import services as triage

    title, description = request.GET.get("title", "").strip(), request.GET.get("description", "").strip()
    if not title and not description:
        return render(request, "web/_suggestion.html", {"s": None})
    try:
        customer_id = int(request.GET["customer_id"]) if request.GET.get("customer_id") else None
        s = triage.suggestion_for(request.user, title=title, description=description, customer_id=customer_id)
    except (ServiceError, ValueError):
        s = None
    return render(request, "web/_suggestion.html", {"s": s})


# --- the supervisor board ----------------------------------------------------------------

@_reads
def board(request):
    """Counts and lists (refreshed in place through HTMX); the charts fetch board_data."""
    context = {"b": orders.board_lists(request.user)}
    if request.headers.get("HX-Request"):
        return render(request, "web/_board_lists.html", context)
    return render(request, "web/board.html", context | {
        "section": "board", "chart_labels": {"created": _("Registered"), "satisfaction": _("Average score")}})


@_reads
def board_data(request):
    """The chart series as JSON, for ECharts to redraw without reloading the page. The lines of
    orders registered and satisfaction per day are indicators: from the reports' registry and
    rollups for those who read reports (the counts of open orders are the live state)."""
    data = orders.board_charts(request.user)
    first, last = (dt.date.fromisoformat(data["days"][0]), dt.date.fromisoformat(data["days"][-1]))
    try:
        lines = report_figures.daily(request.user, ("orders_registered", "avg_score"), first, last)
    except Forbidden:
        lines = None
    if lines is not None:
        data["created"] = lines["orders_registered"]
        data["satisfaction"] = [None if v is None else round(v, 2) for v in lines["avg_score"]]
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


# --- knowledge base side panel -------------------------------------------------------------

@login_required
def knowledge(request):
    """Search results for the side panel (HTMX) or the page; ?order= offers to link them."""
    q = request.GET.get("q", "").strip()[:200]
    context = {"q": q, "results": kb.search(request.user, q) if q else [], "order_id": request.GET.get("order") or None}
    template = "web/_knowledge.html" if request.headers.get("HX-Request") else "web/knowledge.html"
    return render(request, template, context)


@_reads
def knowledge_article(request, article_id):
    article = kb.get_article(request.user, article_id)
    return render(request, "web/article.html", {"article": article, "order_id": request.GET.get("order")})


@_acts(back=_to_order)
def link_article(request, order_id, article_id):
    kb.link_to_order(request.user, order_id, article_id)
    messages.success(request, _("Article linked."))
