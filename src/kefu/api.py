"""The REST API (/api/v1/): authentication, error mapping, and the apps' routers."""

import json

from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer, django_auth

from kefu.audit.api import router as audit_router
from kefu.contacts.api import router as contacts_router
from kefu.core.errors import ServiceError
from kefu.customers.api import accounts as accounts_router
from kefu.customers.api import router as customers_router
from kefu.customers.api import subscriptions as subscriptions_router
from kefu.orders.api import categories as categories_router
from kefu.orders.api import router as orders_router
from kefu.privacy.api import router as privacy_router
from kefu.routing.api import router as routing_router
from kefu.security.api import router as incidents_router
from kefu.sla.api import router as notifications_router
from kefu.staff.api import router as staff_router
from kefu.staff.models import ApiToken
from kefu.triage.api import router as triage_router


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


@api.exception_handler(NinjaValidationError)
def validation_error(request, exc: NinjaValidationError):
    fields = []
    for err in exc.errors:
        # loc is like ("body", "payload", "phone") or ("query", "page"): keep the field path.
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "payload", "filters", "params")]
        message = err.get("msg", "")
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        if err.get("type") == "extra_forbidden":
            message = _("unknown field")
        fields.append({"field": ".".join(loc) or "body", "message": message})
    return _error(request, 422, {"code": "validation_failed", "message": _("The input is invalid."), "fields": fields})


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return _error(request, 401, {"code": "unauthenticated", "message": _("Authentication required: send 'Authorization: Bearer <token>'.")})


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return _error(request, exc.status_code, {"code": "error", "message": str(exc)})


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
api.add_router("/", staff_router)
api.add_router("/", categories_router)
