"""The signed-in person's own corner of the header: their notifications (the page behind the
unread badge) and their status (坐席状态). Each view reads the request and calls a service of
kefu.notifications or kefu.routing (statuses)."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import ServiceError
from kefu.notifications import services as notices
from kefu.routing import services as routing
from kefu.staff.models import User

from . import forms
from .views import _fail, _reads, _refused_input

PAGE_SIZE = 30
LEADING_COLON = re.compile(r"^[:：]\s*")


def _back(request, default="web:notifications") -> str:
    """Where a form of the header or the inbox came from (its `next`), if it is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse(default)


@login_required
def notifications(request):
    """The person's notifications, newest first, unread ones marked; ?show=unread for those alone."""
    unread = request.GET.get("show") == "unread"
    page = Paginator(notices.inbox(request.user, unread=unread), PAGE_SIZE).get_page(request.GET.get("page"))
    for note in page.object_list:
        # The order's number is shown as the link: the message need not say it again.
        number = note.order_number or ""
        note.text = LEADING_COLON.sub("", note.message[len(number):]) if number and note.message.startswith(number) else note.message
    return render(request, "web/notifications.html", {"section": "notifications", "page": page, "unread": unread,
                                                      "query": "show=unread" if unread else ""})


@_reads
def open_notification(request, notification_id):
    """Follow a notification to its link (a path on this site), else to its order, marking it
    read on the way.

    A GET that writes, on purpose: this is a link people open in a new tab, and what it writes
    is idempotent (read_at is set once, again and again is the same), touches only the person's
    own inbox (someone else's notification is 404, like none) and gives nothing away, so a
    forged cross-site request can do no more than mark a message read."""
    note = notices.mark_read(request.user, notification_id)
    if note.link:
        try:  # checked again on the way out: only ever a path on this site (never another host)
            return redirect(notices.site_path(note.link))
        except ValueError:
            pass
    return redirect("web:order", note.order_id) if note.order_id else redirect("web:notifications")


@_reads
@require_POST
def read_notification(request, notification_id):
    notices.mark_read(request.user, notification_id)
    return redirect(_back(request))


@login_required
@require_POST
def read_all_notifications(request):
    n = notices.mark_all_read(request.user)
    messages.success(request, _("Marked %(n)s notifications read.") % {"n": n})
    return redirect(_back(request))


@login_required
@require_POST
def presence(request):
    """Set one's own status from the header; then back to the page it was set on."""
    form = forms.Presence(request.POST)
    if not form.is_valid():
        _refused_input(request, form)
        return redirect(_back(request, "web:home"))
    try:
        person = routing.set_presence(request.user, request.user.pk, form.cleaned_data["presence"], reason=form.reason_text())
    except ServiceError as exc:
        _fail(request, exc, form)
    else:
        messages.success(request, _("Your status is now %(status)s.") % {"status": User.Presence(person.presence).label})
    return redirect(_back(request, "web:home"))
