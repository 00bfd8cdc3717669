"""What people type, made comparable: one place for every lookup and sign-in.

Agents and customers type numbers with full-width digits (１５６…, from Chinese input methods),
a country code (+86, 0086, 86), spaces, dashes and brackets, and paste names with the
punctuation around them ("张国庆，", "“张国庆”"). Stored values are normalised on write, so
the input is normalised the same way before it is compared.
"""

import re
import unicodedata

# Separators inside a number as people write it: spaces, every kind of dash, dots, brackets.
_NUMBER_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−.()]+")
_COUNTRY_CODE = re.compile(r"^(?:\+86|0086|86)(?=1[3-9]\d{9}$)")


def nfkc(text: str | None) -> str:
    """Full-width letters, digits and punctuation made half-width (１５６ → 156, ＋ → +, ， → ,),
    compatibility forms folded, surrounding whitespace removed."""
    return unicodedata.normalize("NFKC", text or "").strip()


def _is_edge_noise(char: str) -> bool:
    """Punctuation, symbols and spaces: what surrounds a pasted term but never starts a name
    or a number (category P*, S* or Z*), except "+", which starts a number."""
    return char != "+" and unicodedata.category(char)[0] in "PSZ"


def lookup_term(text: str | None) -> str:
    """The term to look up: NFKC, inner whitespace collapsed, punctuation and quotes around it
    dropped ("“张国庆”" → "张国庆", "张国庆，" → "张国庆"). '' when nothing is left."""
    term = re.sub(r"\s+", " ", nfkc(text))
    start, end = 0, len(term)
    while start < end and _is_edge_noise(term[start]):
        start += 1
    while end > start and _is_edge_noise(term[end - 1]):
        end -= 1
    return term[start:end]


def phone_digits(text: str | None) -> str:
    """A phone number as stored: NFKC, separators removed, the mainland country code dropped
    before a mobile number ("+86 156-0863-8784", "86-15608638784", "１５６０８６３８７８４" →
    "15608638784"). Anything else comes back as typed, minus the separators."""
    number = _NUMBER_SEPARATORS.sub("", nfkc(text))
    return _COUNTRY_CODE.sub("", number)
