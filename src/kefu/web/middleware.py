from kefu.audit.services import current_origin


class AuditOriginMiddleware:
    """Tell the audit trail where a request came from (client address)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_origin.set(request.META.get("REMOTE_ADDR") or "unknown")
        try:
            return self.get_response(request)
        finally:
            current_origin.reset(token)


class UserPreferencesMiddleware:
    """A signed-in user's own language and time zone win over the browser's and the default."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        import zoneinfo

        from django.utils import timezone, translation

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/api/"):
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone)) if user.time_zone else timezone.deactivate()
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        return self.get_response(request)


class RefuseNulInFormsMiddleware:
    """Form fields and query strings with a NUL character are refused with 422 naming the field,
    as the API refuses them (kefu.core.api.storable): PostgreSQL cannot store NUL in text, so
    such input would otherwise fail deep inside a view with a 500. One check for every page —
    staff pages, the portal and the admin; the API checks its own input by schema."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            field = _field_with_nul(request.GET) or (_field_with_nul(request.POST) if request.method == "POST" else None)
            if field is not None:
                from django.shortcuts import render

                return render(request, "web/input_refused.html", {"field": field}, status=422)
        return self.get_response(request)


def _field_with_nul(data):
    for key, values in data.lists():
        if "\x00" in key or any("\x00" in v for v in values if isinstance(v, str)):
            return key.replace("\x00", "")
    return None


JSON_TYPES = {"application/json"}
MERGE_PATCH = "application/merge-patch+json"


class ApiJsonOnlyMiddleware:
    """The API reads JSON bodies only: a body sent as text, a form, XML or in another character
    set is refused with 415 instead of being parsed as JSON whatever it claims to be. PATCH also
    takes JSON merge patches (RFC 7396). And it answers JSON only: an error response of another
    type under /api/ is replaced by the API's error shape (kefu.web.errors.api_error)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") and request.method in ("POST", "PUT", "PATCH") and request.body:
            accepted = JSON_TYPES | {MERGE_PATCH} if request.method == "PATCH" else JSON_TYPES
            charset = request.content_params.get("charset", "utf-8").lower()
            if request.content_type not in accepted or charset not in ("utf-8", "utf8"):
                from django.http import JsonResponse
                from django.utils.translation import gettext as _

                return JsonResponse({"code": "unsupported_media_type", "message": _(
                    "Send the request body as JSON in UTF-8 with 'Content-Type: %(types)s'.") % {
                        "types": " or ".join(sorted(accepted))}}, status=415, json_dumps_params={"ensure_ascii": False})
        response = self.get_response(request)
        if (request.path.startswith("/api/") and response.status_code >= 400
                and not response.get("Content-Type", "").startswith("application/json")):
            # What no operation answered (a method the path does not take: 405), in the API's shape.
            from .errors import api_error

            allow = response.get("Allow")
            response = api_error(response.status_code)
            if allow:
                response["Allow"] = allow
        return response
