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
