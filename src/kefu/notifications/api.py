"""HTTP ↔ the in-app notifications of the signed-in user."""

from datetime import datetime

from ninja import Field, Router, Schema

from kefu.core.api import ERRORS, Id

from . import services

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    order_id: int | None
    message: str
    link: str = Field(description="Where the notification takes its reader: a path on this site, or \"\" for "
                                  "none (then its order, if it has one).")
    created_at: datetime
    read_at: datetime | None


class UnreadOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int


@router.get("", response={200: list[NotificationOut], **ERRORS})
def my_notifications(request, unread: bool = True, limit: int = 50):
    return services.notifications_for(request.user, unread=unread, limit=limit)


@router.post("/{int:notification_id}/read", response={200: NotificationOut, **ERRORS})
def mark_read(request, notification_id: Id):
    return services.mark_read(request.user, notification_id)


@router.get("/count", response={200: UnreadOut, **ERRORS})
def unread_count(request):
    return {"unread": services.unread_count(request.user)}


@router.post("/read-all", response={200: MarkedOut, **ERRORS})
def mark_all_read(request):
    return {"marked": services.mark_all_read(request.user)}
