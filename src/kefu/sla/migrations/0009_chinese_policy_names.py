"""The default SLA policies of earlier versions get their Chinese names and descriptions (they
show in order histories, reports and the admin). Only policies still named as seeded are
renamed; a description the operator changed is kept."""
from django.db import migrations

ENGLISH = {
    "Default": "Service policy: a general response within 24 h, processed in 3 working days.",
    "Consultation": "A consultation is answered within 15 minutes and solved within 2 hours.",
    "Business request": "A general service request is processed within 3 working days; activation within 24 h.",
    "Business request, urgent": "An urgent request is processed within 1 working day.",
    "Complaint": "Accepted within 24 h, a first response within 1 h, investigated within 72 h, the result fed back "
                 "within 3 working days; statutory ceiling: answered within 15 days (电信用户申诉处理办法).",
    "Complaint, major": "A major complaint (regulator, media, court, mass incident, VIP) is answered within 24 h.",
    "Fault": "Fault response within 4 h; repaired within 48 h in cities (电信条例 art. 33).",
    "Fault, rural": "Repaired within 72 h in rural areas (电信条例 art. 33).",
    "Fault, urgent": "Urgent fault: reply within 30 min, restored within 24 h.",
    "Fault, major": "Major fault or service interruption: reply within 15 min, restored within 2 h.",
    "Suggestion or praise": "Acknowledged within 24 h, answered within 3 working days.",
    "Praise": "Acknowledged within 24 h.",
}
# English name → (Chinese name, Chinese description), as sla.defaults now seeds them.
RENAMES = {
    "Default": ("默认", "服务政策：一般诉求24小时内响应，3个工作日内处理完毕。"),
    "Consultation": ("咨询", "咨询15分钟内应答，2小时内解决。"),
    "Business request": ("业务办理", "一般业务3个工作日内办结；开通类业务24小时内。"),
    "Business request, urgent": ("业务办理（紧急）", "紧急业务1个工作日内办结。"),
    "Complaint": ("投诉", "24小时内受理，1小时内首次响应，72小时内调查核实，3个工作日内反馈处理结果；法定时限：15日内答复（《电信用户申诉处理办法》）。"),
    "Complaint, major": ("投诉（重大）", "重大投诉（扬言申诉、媒体曝光、诉讼、群体性事件、VIP客户）24小时内答复。"),
    "Fault": ("故障", "故障4小时内响应；城市48小时内修复（《电信条例》第三十三条）。"),
    "Fault, rural": ("故障（农村）", "农村地区72小时内修复（《电信条例》第三十三条）。"),
    "Fault, urgent": ("故障（紧急）", "紧急故障30分钟内回复，24小时内恢复。"),
    "Fault, major": ("故障（重大）", "重大故障或服务中断15分钟内回复，2小时内恢复。"),
    "Suggestion or praise": ("建议", "24小时内确认收到，3个工作日内答复。"),
    "Praise": ("表扬", "24小时内确认收到。"),
}


def rename(apps, schema_editor, forward=True):
    Policy = apps.get_model("sla", "SlaPolicy")
    for english, (chinese, chinese_description) in RENAMES.items():
        old, new = (english, chinese) if forward else (chinese, english)
        old_text, new_text = (ENGLISH[english], chinese_description) if forward else (chinese_description, ENGLISH[english])
        if Policy.objects.filter(name=new).exists():
            continue
        Policy.objects.filter(name=old, description=old_text).update(name=new, description=new_text)
        Policy.objects.filter(name=old).update(name=new)


def back(apps, schema_editor):
    rename(apps, schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [("sla", "0008_notification_moved")]
    operations = [migrations.RunPython(rename, back)]
