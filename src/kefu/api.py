"""The REST API (/api/v1/): authentication, error mapping, and the apps' routers."""

import json

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer, django_auth

from kefu.assessment.api import router as assessment_router
from kefu.audit.api import router as audit_router
from kefu.contacts.api import router as contacts_router
from kefu.core.errors import ServiceError
from kefu.corrective.api import router as corrective_router
from kefu.cti.api import router as cti_router
from kefu.customers.api import accounts as accounts_router
from kefu.customers.api import router as customers_router
from kefu.customers.api import subscriptions as subscriptions_router
from kefu.followup.api import router as followup_router
from kefu.notifications.api import router as notifications_router
from kefu.orders.api import categories as categories_router
from kefu.orders.api import router as orders_router
from kefu.privacy.api import router as privacy_router
from kefu.quality.api import router as quality_router
from kefu.reports.api import router as reports_router
from kefu.routing.api import router as routing_router
from kefu.security.api import router as incidents_router
from kefu.staff.api import router as staff_router
from kefu.staff.models import ApiToken
from kefu.surveys.api import router as surveys_router
from kefu.training.api import router as training_router
from kefu.triage.api import router as triage_router
from kefu.web.errors import api_error


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = ApiToken.authenticate(token)
        if user is not None:
            request.user = user
        return user


class Utf8JSONRenderer(JSONRenderer):
    """Chinese text as UTF-8, readable in logs and curl, instead of \\uXXXX escapes."""

    json_dumps_params = {"ensure_ascii": False}


class Utf8JSONParser(Parser):
    """JSON as RFC 8259 says it travels: UTF-8. json.loads would also guess UTF-16 and UTF-32
    from a body's first bytes; the Content-Type is checked before (ApiJsonOnlyMiddleware)."""

    def parse_body(self, request):
        return json.loads(request.body.decode("utf-8"))


api = NinjaAPI(
    renderer=Utf8JSONRenderer(),
    parser=Utf8JSONParser(),
    title="Kefu API",
    version="1",
    description="Customers, contacts and work orders of the Kefu customer-service platform.",
    auth=[BearerToken(), django_auth],
    urls_namespace="api",
)


def _error(request, status, body):
    return api.create_response(request, body, status=status)


@api.exception_handler(ServiceError)
def service_error(request, exc: ServiceError):
    return _error(request, exc.status, exc.as_dict())


# Pydantic's common refusals in the caller's language, by error type; %(…)s come from its ctx.
# Other types keep pydantic's English text (rare: the schemas use these constraints).
PYDANTIC_MESSAGES = {
    "missing": gettext_lazy("required"),
    "extra_forbidden": gettext_lazy("unknown field"),
    "string_too_long": ngettext_lazy("at most %(max_length)s character", "at most %(max_length)s characters",
                                     "max_length"),
    "string_too_short": ngettext_lazy("at least %(min_length)s character", "at least %(min_length)s characters",
                                      "min_length"),
    "too_long": ngettext_lazy("at most %(max_length)s item", "at most %(max_length)s items", "max_length"),
    "too_short": ngettext_lazy("at least %(min_length)s item", "at least %(min_length)s items", "min_length"),
    "string_type": gettext_lazy("must be text"),
    "string_pattern_mismatch": gettext_lazy("must match the pattern %(pattern)s"),
    "int_parsing": gettext_lazy("must be a whole number"),
    "int_type": gettext_lazy("must be a whole number"),
    "int_from_float": gettext_lazy("must be a whole number"),
    "float_parsing": gettext_lazy("must be a number"),
    "float_type": gettext_lazy("must be a number"),
    "decimal_parsing": gettext_lazy("must be a number"),
    "bool_parsing": gettext_lazy("must be true or false"),
    "bool_type": gettext_lazy("must be true or false"),
    "greater_than": gettext_lazy("must be greater than %(gt)s"),
    "greater_than_equal": gettext_lazy("must be at least %(ge)s"),
    "less_than": gettext_lazy("must be less than %(lt)s"),
    "less_than_equal": gettext_lazy("must be at most %(le)s"),
    "literal_error": gettext_lazy("must be one of %(expected)s"),
    "enum": gettext_lazy("must be one of %(expected)s"),
    "date_parsing": gettext_lazy("must be a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": gettext_lazy("must be a date (YYYY-MM-DD)"),
    "date_type": gettext_lazy("must be a date (YYYY-MM-DD)"),
    "datetime_parsing": gettext_lazy("must be a moment (ISO 8601, e.g. 2026-11-22T09:30:00+08:00)"),
    "datetime_from_date_parsing": gettext_lazy("must be a moment (ISO 8601, e.g. 2026-11-22T09:30:00+08:00)"),
    "datetime_type": gettext_lazy("must be a moment (ISO 8601, e.g. 2026-11-22T09:30:00+08:00)"),
    "list_type": gettext_lazy("must be a list"),
    "dict_type": gettext_lazy("must be an object"),
    "model_type": gettext_lazy("must be an object"),
    "model_attributes_type": gettext_lazy("must be an object"),
    "json_invalid": gettext_lazy("is not valid JSON"),
}


def _pydantic_message(err: dict) -> str:
    """One refusal of pydantic's as the caller reads it: Kefu's own validators' messages as
    raised (already translated), the common types translated with their limits filled in."""
    message = err.get("msg", "")
    if err.get("type") == "value_error" and message.startswith("Value error, "):
        return message[len("Value error, "):]
    template = PYDANTIC_MESSAGES.get(err.get("type", ""))
    if template is None:
        return message
    try:
        return template % {k: v if isinstance(v, int) else str(v) for k, v in (err.get("ctx") or {}).items()}
    except (KeyError, TypeError, ValueError):
        return message


@api.exception_handler(NinjaValidationError)
def validation_error(request, exc: NinjaValidationError):
    fields = []
    for err in exc.errors:
        # loc is like ("body", "payload", "phone") or ("query", "page"): keep the field path.
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "payload", "filters", "params")]
        fields.append({"field": ".".join(loc) or "body", "message": _pydantic_message(err)})
    return _error(request, 422, {"code": "validation_failed", "message": _("The input is invalid."), "fields": fields})


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return _error(request, 401, {"code": "unauthenticated", "message": _("Authentication required: send 'Authorization: Bearer <token>'.")})


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return _error(request, exc.status_code, {"code": "error", "message": str(exc)})


@api.exception_handler(Http404)
def not_found(request, exc):
    """As a path no operation takes (kefu.web.errors): never which of missing or out of scope."""
    return api_error(404)


api.add_router("/customers", customers_router)
api.add_router("/accounts", accounts_router)
api.add_router("/subscriptions", subscriptions_router)
api.add_router("/contacts", contacts_router)
api.add_router("/orders", orders_router)
api.add_router("/notifications", notifications_router)
api.add_router("/triage", triage_router)
api.add_router("/routing", routing_router)
api.add_router("/audit", audit_router)
api.add_router("/incidents", incidents_router)
api.add_router("/privacy", privacy_router)
api.add_router("/reports", reports_router)
api.add_router("/followup", followup_router)
api.add_router("/surveys", surveys_router)
api.add_router("/quality", quality_router)
api.add_router("/corrective-actions", corrective_router)
api.add_router("/training", training_router)
api.add_router("/assessment", assessment_router)
api.add_router("/cti", cti_router)
api.add_router("/", staff_router)
api.add_router("/", categories_router)
