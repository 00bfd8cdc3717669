"""Masking as operators show it (REQUIREMENTS.md §9): 138****6138."""

import logging
import re


def mask_phone(value: str) -> str:
    if not value:
        return value
    if len(value) == 11:
        return f"{value[:3]}****{value[-4:]}"
    keep = max(len(value) - 4, 0)
    return value[: min(3, keep)] + "*" * max(len(value) - min(3, keep) - 4, 0) + value[-4:]


_MOBILE = re.compile(r"1[3-9]\d{9}")
# A fixed-line number with its area code: 010 and 02x have 3 digits, every other area code 4.
_LANDLINE = re.compile(r"(010|02\d|0[3-9]\d{2})(\d{7,8})")
_NUMBER_RUN = re.compile(r"\d+")


def mask_service_number(value: str) -> str:
    """A subscription's service number as operators show it. A mobile number is masked like a
    phone (138****6138), a fixed-line number keeps its area code and last 4 digits
    (020****4321); inside an account name (broadband: ad02087654321) each run of digits that is
    such a number is masked the same way. Anything else (a value-added service's own number) is
    no one's phone and is shown as it is."""
    return _NUMBER_RUN.sub(lambda m: _mask_digits(m.group(0)), value or "")


def _mask_digits(digits: str) -> str:
    if _MOBILE.fullmatch(digits):
        return mask_phone(digits)
    if m := _LANDLINE.fullmatch(digits):
        return m.group(1) + "*" * (len(m.group(2)) - 4) + digits[-4:]
    return digits


def mask_email(value: str) -> str:
    """The local part hidden, the domain kept (it names the mail provider, not the person). A
    local part that is a mobile number is masked as the phone (150****8319@139.com), any other
    keeps its first character, or its first two when it has 6 or more (zh***@qq.com), so that an
    agent can still confirm an address the caller spells out."""
    if not value:
        return value
    local, at, domain = value.rpartition("@") if "@" in value else (value, "", "")
    if _MOBILE.fullmatch(local):
        return f"{mask_phone(local)}{at}{domain}"
    return f"{local[:2 if len(local) >= 6 else 1]}***{at}{domain}"


def mask_id_number(value: str) -> str:
    """First 6 and last 4 characters shown (region code and check digits)."""
    if not value or len(value) <= 10:
        return "*" * len(value or "")
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


# The common two-character family names (复姓); every other Chinese name has a one-character one.
_COMPOUND_SURNAMES = frozenset("欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 端木 独孤 南宫 西门 百里 呼延 钟离".split())


def mask_name(value: str) -> str:
    """Family name kept, given name hidden: 张三丰 → 张**, 欧阳娜娜 → 欧阳**; in Latin script
    only the initials stay: John Smith → J*** S****."""
    if not value:
        return value
    if value.isascii():
        return " ".join(w[0] + "*" * (len(w) - 1) for w in value.split())
    family = 2 if value[:2] in _COMPOUND_SURNAMES and len(value) > 2 else 1
    return value[:family] + "*" * (len(value) - family)


# An address is shown down to the district: province, then city, then 区/县/旗 (or a county-level 市).
_LEVELS = [re.compile(r"^[^市区县]{1,10}?(?:省|自治区|特别行政区|(?<=^北京)市|(?<=^天津)市|(?<=^上海)市|(?<=^重庆)市)"),
           re.compile(r"^[^区县旗路街道号]{1,10}?(?:市|自治州|州|盟|地区)"),
           re.compile(r"^[^路街道号]{1,10}?(?:区|县|旗|市)")]


def mask_address(value: str) -> str:
    """广东省广州市天河区天河路385号 → 广东省广州市天河区****; nothing recognisable → ****."""
    if not value:
        return value
    kept, rest = "", value
    for level in _LEVELS:
        if m := level.match(rest):
            kept, rest = kept + m.group(0), rest[m.end():]
    return kept + "****"


_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_LANDLINE_IN_TEXT = re.compile(r"(?<!\d)(?:010|02\d|0[3-9]\d{2})-?\d{7,8}(?!\d)")
_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.ASCII)


def mask_text(text: str) -> str:
    """Mobile, fixed-line and resident ID numbers and e-mail addresses inside free text (log
    lines), masked as above."""
    text = _EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)), text)
    text = _ID_IN_TEXT.sub(r"\1********\2", _MOBILE_IN_TEXT.sub(r"\1****\2", text))
    return _LANDLINE_IN_TEXT.sub(lambda m: mask_service_number(m.group(0).replace("-", "")), text)


class MaskingFormatter(logging.Formatter):
    """Masks phone and ID numbers in every formatted log line, whatever logged them. The
    record itself is left alone, so other handlers and tests still see its arguments."""

    def format(self, record):
        return mask_text(super().format(record))
