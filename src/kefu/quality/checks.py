"""The automatic checks of a contact's text (质检自动检查), without Django: each rule looks at the
words staff wrote on a contact (its summary, the notes and replies on its orders during it) and
the facts around it (identity verified, identity revealed, time limits breached), and says what
fired and on which words, so that an inspector can read why a contact was flagged.

Rules are data (quality.CheckRule, seeded in Chinese and kept by administrators):

- `forbidden` (服务禁语): any of WORDS in a staff text;
- `greeting` / `closing` (服务用语): none of WORDS in the first / last customer-visible reply of a
  channel where staff write to the customer (chat, e-mail, WeChat, social media, self-service);
- `number` (个人信息): a full mobile number or a resident ID number (checksum valid) typed into
  any staff text — shown masked in the hit, never whole;
- `reveal` (身份核验): the customer's identity revealed during the contact without a passed
  verification on it;
- `time_limit` (时限): a time limit of an order raised in the contact breached.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

FORBIDDEN, GREETING, CLOSING, NUMBER, REVEAL, TIME_LIMIT = "forbidden", "greeting", "closing", "number", "reveal", "time_limit"
KINDS = (FORBIDDEN, GREETING, CLOSING, NUMBER, REVEAL, TIME_LIMIT)
# Channels where staff write to the customer: their replies are expected to greet and close.
WRITTEN_CHANNELS = frozenset({"online_chat", "email", "wechat", "social_media", "self_service"})

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
RESIDENT_ID = re.compile(r"(?<![\dXx])\d{17}[\dXx](?![\dXx])")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def resident_id_valid(number: str) -> bool:
    """GB 11643 checksum of an 18-character resident ID number."""
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == number[17].upper()


def mask(number: str) -> str:
    """A number as a hit shows it: the first three and last four characters."""
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


@dataclass(frozen=True)
class Rule:
    code: str
    kind: str
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Text:
    """A piece of staff writing on a contact: WHERE it is (a label people read: 接触摘要, the
    order and time of a note), whether the customer reads it, and the text."""

    where: str
    text: str
    customer_visible: bool = False


@dataclass
class Facts:
    """What a contact's rules look at besides its texts."""

    channel: str
    texts: list[Text] = field(default_factory=list)
    unverified_reveals: list[str] = field(default_factory=list)  # where: each reveal without a passed verification
    breached: list[str] = field(default_factory=list)  # where: each order with a breached time limit


@dataclass(frozen=True)
class Hit:
    rule: str
    where: str
    words: str  # what fired, as shown to people (numbers masked); "" when a rule fires on an absence


def _contains(text: str, words: Iterable[str]) -> list[str]:
    return [w for w in words if w and w in text]


def check(facts: Facts, rules: Iterable[Rule]) -> list[Hit]:
    """The hits of RULES on a contact's FACTS, in the order of the rules, then of the texts."""
    hits: list[Hit] = []
    replies = [t for t in facts.texts if t.customer_visible]
    for rule in rules:
        if rule.kind == FORBIDDEN:
            for t in facts.texts:
                found = _contains(t.text, rule.words)
                if found:
                    hits.append(Hit(rule.code, t.where, "、".join(found)))
        elif rule.kind in (GREETING, CLOSING):
            if facts.channel not in WRITTEN_CHANNELS or not replies:
                continue
            reply = replies[0] if rule.kind == GREETING else replies[-1]
            if not _contains(reply.text, rule.words):
                hits.append(Hit(rule.code, reply.where, ""))
        elif rule.kind == NUMBER:
            for t in facts.texts:
                found = [mask(m) for m in MOBILE.findall(t.text)]
                found += [mask(m) for m in RESIDENT_ID.findall(t.text) if resident_id_valid(m)]
                if found:
                    hits.append(Hit(rule.code, t.where, "、".join(found)))
        elif rule.kind == REVEAL:
            hits += [Hit(rule.code, where, "") for where in facts.unverified_reveals]
        elif rule.kind == TIME_LIMIT:
            hits += [Hit(rule.code, where, "") for where in facts.breached]
    return hits
