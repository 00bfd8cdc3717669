"""The questionnaire asked after resolution gains an overall satisfaction question (version 2,
active in place of the seeded version 1 when the operator has not published one of their own),
and every satisfaction score recorded at resolution so far (orders' Feedback) becomes that
question's answer, in an answered invitation of its own: no score is lost, none counted twice
(one invitation per feedback)."""

import secrets

from django.db import migrations
from django.utils import timezone

OVERALL = ("score", "总体而言，您对本次服务是否满意？（1–10 分）", "overall", [], True)
QUESTIONS = [
    OVERALL,
    ("score", "您对客服人员的服务态度是否满意？（1–10 分）", "attitude", [], True),
    ("score", "您对问题的处理结果是否满意？（1–10 分）", "result", [], True),
    ("score", "您对处理速度是否满意？（1–10 分）", "timeliness", [], True),
    ("recommend", "您有多大可能向亲友推荐我们的服务？（0–10 分）", "", [], True),
    ("text", "您还有什么意见或建议？", "", [], False),
]
# Where a score at resolution was given: by a member of staff on a call or at the counter, or by
# the customer online.
STAFF_CHANNELS = {"hotline", "store", "letter", "account_manager", "regulator"}
BATCH = 2000


def overall_question(apps):
    Instrument, Question = apps.get_model("surveys", "Instrument"), apps.get_model("surveys", "Question")
    overall = Question.objects.filter(instrument__purpose="post_resolution", dimension="overall", type="score")
    found = overall.filter(instrument__status="active").first() or overall.order_by("-instrument__version").first()
    if found is not None:
        return found
    current = Instrument.objects.filter(purpose="post_resolution").order_by("-version").first()
    now = timezone.now()
    seeded = current is not None and current.version == 1 and current.created_by_id is None
    instrument = Instrument.objects.create(
        purpose="post_resolution", version=(current.version if current else 0) + 1, title="服务满意度评价",
        status="draft", created_at=now, intro="感谢您使用我们的服务。请花一分钟告诉我们这次服务的感受，您的评价将帮助我们改进。")
    Question.objects.bulk_create([Question(instrument=instrument, position=n, type=kind, text=text, dimension=dimension,
                                            options=options, required=required)
                                  for n, (kind, text, dimension, options, required) in enumerate(QUESTIONS, start=1)])
    if current is None or seeded:
        Instrument.objects.filter(purpose="post_resolution", status="active").update(status="retired")
        instrument.status, instrument.published_at = "active", now
        instrument.save(update_fields=["status", "published_at"])
    return Question.objects.get(instrument=instrument, position=1)


def forwards(apps, schema_editor):
    Feedback = apps.get_model("orders", "Feedback")
    Invitation, Answer = apps.get_model("surveys", "Invitation"), apps.get_model("surveys", "Answer")
    question = overall_question(apps)
    last = 0
    while True:
        rows = list(Feedback.objects.filter(pk__gt=last, score__isnull=False).order_by("pk")
                    .values_list("pk", "order_id", "order__customer_id", "score", "channel", "at")[:BATCH])
        if not rows:
            break
        last = rows[-1][0]
        done = set(Invitation.objects.filter(feedback_id__in=[r[0] for r in rows]).values_list("feedback_id", flat=True))
        invitations = [Invitation(instrument_id=question.instrument_id, customer_id=customer, order_id=order,
                                  channel="phone" if channel in STAFF_CHANNELS else "portal", token=secrets.token_urlsafe(32),
                                  status="answered", created_at=at, expires_at=at, answered_at=at, feedback_id=pk)
                       for pk, order, customer, score, channel, at in rows if pk not in done]
        Invitation.objects.bulk_create(invitations)
        ids = dict(Invitation.objects.filter(feedback_id__in=[i.feedback_id for i in invitations]).values_list("feedback_id", "pk"))
        scores = {pk: score for pk, _o, _c, score, _ch, _at in rows}
        Answer.objects.bulk_create([Answer(invitation_id=ids[i.feedback_id], question_id=question.pk,
                                           score=scores[i.feedback_id]) for i in invitations])


class Migration(migrations.Migration):
    dependencies = [("surveys", "0003_invitation_feedback_review"), ("orders", "0015_event_consumers")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
