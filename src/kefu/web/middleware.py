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
