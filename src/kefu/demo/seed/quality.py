"""The demo's quality history (质检): the last two months of inspections as the inspectors and the
QA lead would have done them through the services — the contacts the automatic checks flagged
and a sample of the rest, scored (most well, some marked down, the full numbers typed into notes
failed as fatal), published, a few appealed and decided, the rest final once their window ended —
and one closed calibration of three contacts by both inspectors."""

from __future__ import annotations

import datetime as dt
from random import Random

from django.db.models import Count

from kefu.contacts.models import Contact
from kefu.quality import services as quality
from kefu.quality.models import ContactCheck, Inspection
from kefu.staff.models import User

PER_AGENT_WEEK = 2  # inspections per agent and week, besides the flagged contacts
FLAGGED_SHARE = 0.15  # of the flagged contacts (mostly a time limit breached), the share inspected
FATAL_SHARE = 0.02  # inspections finding a fatal error the automatic checks did not (a reveal heard on the call)
APPEAL_REASONS = ["客户主动要求记录新号码，便于回访，已在备注中说明", "当时系统卡顿，未能及时按标准用语结束通话",
                  "已按流程核实身份，录音可证明"]
DECISIONS = [("upheld", "个人信息应记录在客户资料中，不得写入备注，维持原判"),
             ("changed", "经复听录音，已核实身份后再查询，改判为合格")]


def _mark(rng: Random, inspector, inspection: Inspection) -> None:
    """Confirm the pre-filled items and mark the rest as a real inspector would: most items
    passed, one in six points items given part of its points."""
    results = {}
    fatal = rng.random() < FATAL_SHARE
    for row in inspection.items.select_related("item"):
        item = row.item
        if fatal and item.fatal and item.text.startswith("未核验身份"):
            results[str(item.pk)] = {"result": "fail", "note": "录音中未核验身份即告知来电人机主的套餐和余额"}
            fatal = False
        elif row.prefilled:
            results[str(item.pk)] = {"result": "fail", "note": "确认：" + row.note[:100]}
        elif item.kind == "points" and not item.fatal and rng.random() < 0.17 and item.points > 2:
            results[str(item.pk)] = {"result": "partial", "points": rng.randint(item.points // 2, item.points - 1),
                                     "note": rng.choice(["解释不够清楚", "未主动确认客户诉求", "记录不完整"])}
    quality.score(inspector, inspection.pk, results)


def inspection_history(now: dt.datetime, *, seed: int = 1) -> dict:
    rng = Random(seed)
    inspectors = list(User.objects.filter(username__in=["inspector", "inspector2"]).order_by("username"))
    lead = User.objects.get(username="supervisor")
    if not inspectors:
        return {}
    since = now - dt.timedelta(days=60)
    ended = Contact.objects.filter(ended_at__gte=since, ended_at__lt=now - dt.timedelta(hours=2), agent__isnull=False,
                                   agent__groups__name="agent").exclude(agent__in=inspectors + [lead])
    flagged = set(ContactCheck.objects.filter(hits__gt=0, contact__in=ended).values_list("contact_id", flat=True))
    chosen = list(ended.filter(pk__in=flagged).order_by("pk").values_list("pk", "agent_id", "ended_at"))
    chosen = [c for c in chosen if rng.random() < FLAGGED_SHARE]
    weeks = 9
    per_agent = {a: n for a, n in ended.values_list("agent_id").annotate(n=Count("pk"))}
    for agent_id in sorted(per_agent):
        pool = list(ended.filter(agent_id=agent_id).exclude(pk__in=flagged).values_list("pk", "agent_id", "ended_at"))
        rng.shuffle(pool)
        chosen += pool[:PER_AGENT_WEEK * weeks]
    chosen.sort(key=lambda c: c[2])
    counts = {"inspections": 0, "appeals": 0, "fatal": 0}
    for n, (contact_id, _agent_id, ended_at) in enumerate(chosen):
        inspector = inspectors[n % len(inspectors)]
        at = ended_at + dt.timedelta(hours=rng.randint(4, 40))
        if at >= now:
            continue
        inspection = quality.start_inspection(inspector, contact_id, now=at)
        _mark(rng, inspector, inspection)
        if at > now - dt.timedelta(days=1) and rng.random() < 0.5:
            counts["inspections"] += 1
            continue  # still being scored
        done = quality.publish(inspector, inspection.pk, now=at + dt.timedelta(minutes=20))
        counts["inspections"] += 1
        counts["fatal"] += int(done.fatal)
        window_over = done.appeal_until <= now
        if (done.fatal or (done.score or 100) < 80) and rng.random() < 0.6:
            filed_at = done.published_at + dt.timedelta(hours=rng.randint(2, 20))
            if filed_at < min(now, done.appeal_until):
                quality.appeal(done.agent, done.pk, rng.choice(APPEAL_REASONS), now=filed_at)
                counts["appeals"] += 1
                if filed_at + dt.timedelta(hours=26) < now:
                    decision, reason = DECISIONS[0] if done.fatal else rng.choice(DECISIONS)
                    quality.arbitrate(lead, done.pk, decision, reason, score=86 if decision == "changed" else None,
                                      now=filed_at + dt.timedelta(hours=rng.randint(4, 24)))
                continue
        if window_over:
            Inspection.objects.filter(pk=done.pk).update(status=Inspection.Status.FINAL, final_at=done.appeal_until)
    counts["calibration"] = int(_calibration(now, inspectors, lead, rng))
    return counts


def _calibration(now: dt.datetime, inspectors: list, lead, rng: Random) -> bool:
    """Three recently inspected contacts scored again by both inspectors and the QA lead, one
    inspector stricter on the standard phrases (out of line), closed by the lead."""
    if len(inspectors) < 2:
        return False
    contacts = [c.pk for c in quality.recently_inspected(lead, 12)][3:6]
    if len(contacts) < 3:
        return False
    made = quality.create_calibration(lead, f"{(now - dt.timedelta(days=7)):%m月%d日}质检校准", contacts,
                                      [i.pk for i in inspectors] + [lead.pk], now=now - dt.timedelta(days=7))
    for inspection in Inspection.objects.filter(calibration=made).select_related("inspector"):
        strict = inspection.inspector_id == inspectors[1].pk
        results = {}
        for row in inspection.items.select_related("item"):
            if row.prefilled:
                results[str(row.item_id)] = {"result": "fail"}
            elif strict and row.item.section.startswith("服务用语") and row.item.kind == "points" and row.item.points > 2:
                results[str(row.item_id)] = {"result": "partial", "points": row.item.points // 2, "note": "结束语不规范"}
        quality.score(inspection.inspector, inspection.pk, results)
        quality.publish(inspection.inspector, inspection.pk, now=now - dt.timedelta(days=6))
    quality.close_calibration(lead, made.pk, now=now - dt.timedelta(days=5))
    return True

