"""The seeded triage rules get Chinese names and descriptions (agents read the names on the triage
suggestion). Only rules still as seeded are renamed: an operator's own edits stay."""
from django.db import migrations

# English name as seeded → (Chinese name, English description as seeded, Chinese description)
RENAMES = {
    "Threat to appeal to the regulator": (
        "扬言向监管部门申诉", "A customer who threatens to go to MIIT or the communications administration (越级投诉).",
        "客户扬言向工信部或通信管理局申诉（越级投诉）。"),
    "Threat of media exposure": (
        "扬言媒体曝光", "Public-opinion risk: the customer threatens to go to the media.", "舆情风险：客户扬言向媒体曝光。"),
    "Threat of legal action": ("扬言诉诸法律", "The customer threatens to sue.", "客户扬言起诉。"),
    "Mass incident": ("群体性故障", "Many customers affected: probably one outage.", "多名客户受影响：可能是同一起故障。"),
    "Urgent wording": ("客户表示紧急", "The customer says it cannot wait.", "客户表示等不了。"),
}


def rename(apps, schema_editor, forward=True):
    Rule = apps.get_model("triage", "TriageRule")
    for english, (chinese, english_text, chinese_text) in RENAMES.items():
        old, new = (english, chinese) if forward else (chinese, english)
        if Rule.objects.filter(name=new).exists():
            continue  # the operator already has a rule of that name
        Rule.objects.filter(name=old).update(name=new)
        old_text, new_text = (english_text, chinese_text) if forward else (chinese_text, english_text)
        Rule.objects.filter(name=new, description=old_text).update(description=new_text)


def back(apps, schema_editor):
    rename(apps, schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [("triage", "0004_move_dispatch_rules")]
    operations = [migrations.RunPython(rename, back)]
