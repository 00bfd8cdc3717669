"""Errors raised by services. The API layer maps each to one HTTP status and one JSON shape."""

from django.utils.translation import gettext_lazy as _


class ServiceError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message, *, fields: dict | None = None, **extra):
        super().__init__(str(message))
        self.message = message
        self.fields = fields or {}
        self.extra = extra

    def as_dict(self) -> dict:
        body: dict[str, object] = {"code": self.code, "message": str(self.message)}
        if self.fields:
            body["fields"] = [{"field": f, "message": str(m)} for f, m in self.fields.items()]
        body.update(self.extra)
        return body


class ValidationFailed(ServiceError):
    """Input breaks a business rule; `fields` maps each offending field to its reason."""

    status = 422
    code = "validation_failed"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"

    def __init__(self, message=None, **kw):
        super().__init__(message or _("You do not have permission to do this."), **kw)


class Conflict(ServiceError):
    """The object changed under the caller (stale version, already claimed, …)."""

    status = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class RateLimited(ServiceError):
    """Too many of something in too short a time (e.g. SMS codes to one number)."""

    status = 429
    code = "rate_limited"
