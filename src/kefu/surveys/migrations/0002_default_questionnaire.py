"""The questionnaire asked after resolution, version 1, active: what a new installation asks
until the operator publishes its own (surveys.services.create_draft, publish)."""
from django.db import migrations
from django.utils import timezone

QUESTIONS = [
    ("score", "您对客服人员的服务态度是否满意？（1–10 分）", "attitude", [], True),
    ("score", "您对问题的处理结果是否满意？（1–10 分）", "result", [], True),
    ("score", "您对处理速度是否满意？（1–10 分）", "timeliness", [], True),
    ("recommend", "您有多大可能向亲友推荐我们的服务？（0–10 分）", "", [], True),
    ("text", "您还有什么意见或建议？", "", [], False),
]


def seed(apps, schema_editor):
    Instrument, Question = apps.get_model("surveys", "Instrument"), apps.get_model("surveys", "Question")
    if Instrument.objects.filter(purpose="post_resolution").exists():
        return
    instrument = Instrument.objects.create(
        purpose="post_resolution", version=1, title="服务满意度评价", status="active", created_at=timezone.now(),
        published_at=timezone.now(), intro="感谢您使用我们的服务。请花一分钟告诉我们这次服务的感受，您的评价将帮助我们改进。")
    Question.objects.bulk_create([Question(instrument=instrument, position=n, type=kind, text=text, dimension=dimension,
                                            options=options, required=required)
                                  for n, (kind, text, dimension, options, required) in enumerate(QUESTIONS, start=1)])


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
