"""Delivery of one-time SMS codes. Until an SMS gateway is configured (a later issue), two
backends let the flows be used and tested: "outbox" (the default) keeps each message in the
database, where administrators read it in the admin (contacts.SmsMessage); "log" writes the code
to the server log."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

log = logging.getLogger("kefu.sms")

BACKENDS = ("outbox", "log")


def send_code(phone: str, code: str, *, purpose: str = "identity", valid_minutes: int = 5) -> None:
    """Send CODE to PHONE, by the configured backend. PURPOSE is one of SmsMessage.Purpose."""
    if settings.KEFU_SMS_BACKEND == "log":
        log.warning("SMS code for %s: %s (log backend: no SMS gateway configured)", phone, code)
        return
    if settings.KEFU_SMS_BACKEND == "outbox":
        text = _("Your verification code is %(code)s. It is valid for %(minutes)s minutes. Never tell it to anyone, "
                 "customer service will not ask for it.") % {"code": code, "minutes": valid_minutes}
        _to_outbox(phone, text, purpose)
        return
    raise RuntimeError(f"unknown KEFU_SMS_BACKEND {settings.KEFU_SMS_BACKEND!r}")


def send_text(phone: str, text: str, *, purpose: str) -> None:
    """Send a service message TEXT (not a code) to PHONE, by the configured backend."""
    if settings.KEFU_SMS_BACKEND == "log":
        log.info("SMS to %s (%s, log backend: no SMS gateway configured): %s", phone, purpose, text)
        return
    _to_outbox(phone, text, purpose)


def send_texts(messages: list[tuple[str, str]], *, purpose: str) -> int:
    """Send service messages MESSAGES ((phone, text) pairs) by the configured backend, in one
    write to the outbox: what a rule texting thousands of customers at once calls. Returns the
    number sent."""
    if not messages:
        return 0
    if settings.KEFU_SMS_BACKEND == "log":
        for phone, text in messages:
            log.info("SMS to %s (%s, log backend: no SMS gateway configured): %s", phone, purpose, text)
        return len(messages)
    from .models import SmsMessage

    _forget_old()
    SmsMessage.objects.bulk_create([SmsMessage(to=phone, text=text, purpose=purpose) for phone, text in messages],
                                   batch_size=1000)
    return len(messages)


def _forget_old() -> None:
    from .models import SmsMessage

    # The outbox holds codes and numbers: it forgets them after KEFU_SMS_OUTBOX_DAYS (indexed).
    SmsMessage.objects.filter(created_at__lt=timezone.now() - timedelta(days=settings.KEFU_SMS_OUTBOX_DAYS)).delete()


def _to_outbox(phone: str, text: str, purpose: str) -> None:
    from .models import SmsMessage

    _forget_old()
    SmsMessage.objects.create(to=phone, text=text, purpose=purpose)
