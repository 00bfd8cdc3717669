"""The dispatch rules `kefu demo` set up in earlier versions get Chinese names (they show in order
histories and the admin). Only rules still named as seeded are renamed."""
from django.db import migrations

RENAMES = {
    "Flagged threats (regulator, media, court) → complaint coordination": "扬言申诉、曝光、起诉的工单 → 投诉处理中心",
    "Major complaints → complaint coordination": "重大投诉 → 投诉处理中心",
    "Billing complaints → billing": "计费类投诉 → 计费账务中心",
    "Complaints → complaint coordination": "其他投诉 → 投诉处理中心",
    "Major faults → network operations": "重大故障 → 网络运维中心",
    "Faults → tech support": "其他故障 → 技术支持中心",
    "Business requests → sales": "业务办理 → 市场销售部",
    "Everything else → front office": "其余工单 → 客服中心一线",
}


def rename(apps, schema_editor, forward=True):
    Rule = apps.get_model("routing", "DispatchRule")
    for english, chinese in RENAMES.items():
        old, new = (english, chinese) if forward else (chinese, english)
        if not Rule.objects.filter(name=new).exists():
            Rule.objects.filter(name=old).update(name=new)


def back(apps, schema_editor):
    rename(apps, schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [("routing", "0001_initial")]
    operations = [migrations.RunPython(rename, back)]
