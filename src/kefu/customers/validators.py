"""Checks for mainland-China identifiers. Each returns the normalised value or raises ValueError
with a translated reason, so both the API schemas and the services can use them."""

import re

from django.utils.translation import gettext as _

from kefu.core.text import nfkc, phone_digits

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)
# Fixed line: area code 0 + 2–3 digits, then a 7–8 digit number; separators allowed on input.
LANDLINE_RE = re.compile(r"^0\d{2,3}\d{7,8}$", re.ASCII)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def _digits(value: str) -> str:
    """The number as stored (kefu.core.text.phone_digits: full-width digits, separators and the
    country code as people type them); a fixed line's +86 / 0086 goes too."""
    value = phone_digits(value)
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    return value


def mobile_number(value: str) -> str:
    v = _digits(value)
    if not MOBILE_RE.match(v):
        raise ValueError(_("must be an 11-digit mainland mobile number starting with 13–19"))
    return v


def phone_number(value: str) -> str:
    """A mobile number or a fixed-line number with its area code."""
    v = _digits(value)
    if MOBILE_RE.match(v) or LANDLINE_RE.match(v):
        return v
    raise ValueError(_("must be an 11-digit mobile number or a fixed-line number with area code"))


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def resident_id_number(value: str) -> str:
    """An 18-character resident identity card number (GB 11643) with a valid checksum."""
    import datetime

    v = re.sub(r"\s+", "", nfkc(value)).upper()
    if not re.fullmatch(r"[0-9]{17}[0-9X]", v):
        raise ValueError(_("must be 18 characters: 17 digits and a digit or X"))
    try:
        datetime.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise ValueError(_("contains an impossible date of birth")) from None
    if id_check_char(v[:17]) != v[17]:
        raise ValueError(_("has a wrong check character"))
    return v


def service_password(value: str) -> str:
    if not re.fullmatch(r"[0-9]{6}", value or ""):
        raise ValueError(_("must be exactly 6 digits"))
    return value
