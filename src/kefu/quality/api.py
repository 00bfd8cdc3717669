"""Quality inspection's API: the contacts the automatic checks flagged, and one contact's hits."""

from datetime import datetime

from ninja import Query, Router, Schema

from kefu.core.api import ERRORS, Id, Page, PageParams, paginate

from . import services

router = Router(tags=["quality"])


class HitOut(Schema):
    rule: str
    rule_name: str
    kind: str
    where: str
    words: str
    found_at: datetime


class FlaggedOut(Schema):
    contact_id: int
    channel: str
    agent: str | None
    started_at: datetime
    hits: int
    checked_at: datetime

    @staticmethod
    def resolve_channel(row) -> str:
        return row.contact.channel

    @staticmethod
    def resolve_agent(row) -> str | None:
        return str(row.contact.agent) if row.contact.agent else None

    @staticmethod
    def resolve_started_at(row) -> datetime:
        return row.contact.started_at


@router.get("/flagged", response={200: Page[FlaggedOut], **ERRORS})
def flagged(request, params: Query[PageParams]):
    """The contacts the automatic checks flagged (an inspector's candidates), newest first, in the
    caller's data scope."""
    return paginate(services.flagged(request.user), params)


@router.get("/contacts/{int:contact_id}/hits", response={200: list[HitOut], **ERRORS})
def contact_hits(request, contact_id: Id):
    """What the automatic checks found on one contact: each rule, where and the words that fired
    (numbers masked)."""
    return [{"rule": h.rule.code, "rule_name": h.rule.name, "kind": h.rule.kind, "where": h.where, "words": h.words,
             "found_at": h.found_at} for h in services.hits(request.user, contact_id)]
