"""Delivery of one-time SMS codes. Until an SMS gateway is configured (a later issue), the
"log" backend writes the code to the server log so that the flow can be used and tested."""

import logging

from django.conf import settings

log = logging.getLogger("kefu.sms")


def send_code(phone: str, code: str) -> None:
    if settings.KEFU_SMS_BACKEND == "log":
        log.warning("SMS code for %s: %s (log backend: no SMS gateway configured)", phone, code)
        return
    raise RuntimeError(f"unknown KEFU_SMS_BACKEND {settings.KEFU_SMS_BACKEND!r}")
