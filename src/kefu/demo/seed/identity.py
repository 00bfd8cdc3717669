"""Identifiers and names: numbers unique per id (mobile, landline), valid resident ID numbers and
unified social credit codes, people's names."""

import datetime as dt
import string

from kefu.customers.validators import id_check_char

from .draws import choice
from .words import GIVEN_FEMALE, GIVEN_MALE, MOBILE_PREFIXES, SURNAMES

# Multiplier of the number scrambles: odd and not a multiple of 5, so coprime to 10^k and 7·10^k.
SCRAMBLE_BY = 48_271_009


def scramble(n: int, modulus: int, offset: int = 7_654_321) -> int:
    """A bijection of range(modulus): consecutive ids give unrelated-looking numbers."""
    return (n * SCRAMBLE_BY + offset) % modulus


def mobile_number(index: int, attempt: int = 0) -> str:
    """A mobile number unique per index below 4·10^9 (40 prefixes × 10^8 numbers)."""
    m = scramble(index + attempt * 1_000_003, len(MOBILE_PREFIXES) * 10**8)
    return f"{MOBILE_PREFIXES[m % len(MOBILE_PREFIXES)]}{m // len(MOBILE_PREFIXES):08d}"


def landline_local(index: int) -> str:
    """An 8-digit local number starting with 2–8, unique per index below 7·10^7."""
    return str(scramble(index, 7 * 10**7, 27_182_818) + 2 * 10**7)


def resident_id(region6: str, birth: dt.date, seq: int) -> str:
    first17 = f"{region6}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def social_credit_code(rng, kind_code: str, region6: str) -> str:
    """A unified social credit code (GB 32100) with valid organisation-code and final check chars."""
    body = "".join(choice(rng, string.digits) for _ in range(8))
    org_check = 11 - sum(int(c) * w for c, w in zip(body, ORG_WEIGHTS, strict=True)) % 11
    body += {10: "X", 11: "0"}.get(org_check, str(org_check))
    first17 = (kind_code + region6 + body).replace("X", "0")  # X is not in the USCC alphabet
    check = (31 - sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True)) % 31) % 31
    return first17 + USCC_CHARS[check]


def person_name(rng, male: bool) -> str:
    given = GIVEN_MALE if male else GIVEN_FEMALE
    name = choice(rng, given)
    if len(name) == 1 and rng.random() < 0.45:
        name += choice(rng, given[:20])  # the single-character names come first
    return choice(rng, SURNAMES) + name


def unique(make, taken) -> str:
    """MAKE(0), MAKE(1), … : the first value not in TAKEN, which it joins."""
    attempt = 0
    while (value := make(attempt)) in taken:
        attempt += 1
    taken.add(value)
    return value
