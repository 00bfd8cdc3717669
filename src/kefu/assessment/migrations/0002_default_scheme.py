"""The default assessment scheme for customer service specialists (客服代表月度考核方案), as the
operators' manuals weigh satisfaction, first-contact resolution, timeliness, quality, volume
and knowledge. Management changes it or adds their own."""

from django.db import migrations

ITEMS = [
    ("satisfaction_rate", 25, [[90, 100], [85, 80], [80, 60], [70, 30]]),
    ("fcr_rate", 15, [[80, 100], [70, 80], [60, 50]]),
    ("on_time_rate", 15, [[98, 100], [95, 80], [90, 50]]),
    ("qa_avg_score", 20, [[95, 100], [90, 90], [85, 75], [80, 60]]),
    ("qa_fatal_count", 10, [[0, 100], [1, 40]]),
    ("contacts_handled", 5, [[600, 100], [400, 80], [200, 50], [1, 20]]),
    ("knowledge_score", 10, [[90, 100], [80, 80], [60, 50]]),
]


def seed(apps, schema_editor):
    Scheme = apps.get_model("assessment", "Scheme")
    Item = apps.get_model("assessment", "SchemeItem")
    scheme = Scheme.objects.create(
        name="客服代表月度考核方案", role="agent", period="month",
        description="满意率、一次性解决率、及时率、质检平均分、致命差错、接待量与培训考试成绩加权计分，满分 100 分。")
    Item.objects.bulk_create([Item(scheme=scheme, position=n, indicator=code, weight=weight, bands=bands)
                              for n, (code, weight, bands) in enumerate(ITEMS)])


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
