"""Masking as operators show it (REQUIREMENTS.md §9): 138****6138."""


def mask_phone(value: str) -> str:
    if not value:
        return value
    if len(value) == 11:
        return f"{value[:3]}****{value[-4:]}"
    keep = max(len(value) - 4, 0)
    return value[: min(3, keep)] + "*" * max(len(value) - min(3, keep) - 4, 0) + value[-4:]


def mask_id_number(value: str) -> str:
    """First 6 and last 4 characters shown (region code and check digits)."""
    if not value or len(value) <= 10:
        return "*" * len(value or "")
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_name(value: str) -> str:
    """Family name kept, given name hidden: 张三丰 → 张**."""
    if not value:
        return value
    return value[0] + "*" * (len(value) - 1)
