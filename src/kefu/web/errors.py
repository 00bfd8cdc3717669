"""Error responses (kefu.urls' handler400/403/404/500), chosen by where the request went: the API
answers JSON in its error shape, the portal a page in the customers' layout, everything else a
page in the staff layout (with the menu for a signed-in user). A 404 never says whether the
object is missing or outside the caller's data scope."""

import logging

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

logger = logging.getLogger(__name__)

# By status: the API's error code, the page's heading and its explanation.
ERRORS = {
    400: ("bad_request", gettext_lazy("Bad request"), gettext_lazy("The request could not be understood. Check the address or the form and try again.")),
    403: ("forbidden", gettext_lazy("No permission"), gettext_lazy("You do not have permission to open this page.")),
    404: ("not_found", pgettext_lazy("error page", "Page not found"), gettext_lazy("Not found, or not within your data scope.")),
    405: ("method_not_allowed", gettext_lazy("Method not allowed"), gettext_lazy("This address does not take this method.")),
    500: ("server_error", pgettext_lazy("error page", "Server error"), gettext_lazy("Something went wrong on our side. Please try again later.")),
}
# What a customer reads in the portal instead, where there are no data scopes.
PORTAL_MESSAGES = {404: gettext_lazy("The page you asked for does not exist.")}


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def api_error(status: int) -> JsonResponse:
    """STATUS in the API's error shape (kefu.core.api.ErrorOut), for what no operation answered."""
    code, _title, message = ERRORS.get(status) or ERRORS[500 if status >= 500 else 400]
    return JsonResponse({"code": code, "message": str(message)}, status=status, json_dumps_params={"ensure_ascii": False})


def _page(request, status: int, *, minimal: bool = False) -> HttpResponse:
    if is_api(request):
        return api_error(status)
    _code, title, message = ERRORS[status]
    context = {"status": status, "title": title, "message": message}
    if minimal:
        # Nothing that reads the database, which may be what failed: no user, no messages.
        context |= {"user": AnonymousUser(), "messages": ()}
    if request.path_info.startswith("/portal/"):
        from kefu.portal.views import current_customer

        customer = getattr(request, "portal_customer", None)
        if customer is None and not minimal and hasattr(request, "session"):
            customer = current_customer(request)
        context |= {"signed_in": customer is not None, "customer_name": customer.masked_name if customer else "",
                    "message": PORTAL_MESSAGES.get(status, message)}
        return render(request, "portal/error.html", context, status=status)
    return render(request, "web/error.html", context, status=status)


def bad_request(request, exception=None):
    return _page(request, 400)


def permission_denied(request, exception=None):
    return _page(request, 403)


def page_not_found(request, exception=None):
    return _page(request, 404)


def server_error(request):
    try:
        return _page(request, 500, minimal=True)
    except Exception:  # noqa: BLE001 - the error page itself must not fail
        logger.exception("the error page could not be rendered")
        return HttpResponse(pgettext("error page", "Server error"), status=500, content_type="text/plain; charset=utf-8")
