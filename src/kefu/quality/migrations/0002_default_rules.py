"""The automatic checks a new installation runs (administrators change the words or switch them
off): the service taboos (服务禁语) of the operators' service standards, the standard greeting and
closing of written replies (服务用语), full numbers in free text, identity revealed without
verification, time limits breached.

The greeting and closing rules are seeded switched off: Kefu keeps staff's record of what the
customer was told ("已回复客户：……"), not the written message itself, until the chat and e-mail
channels store their messages; an administrator switches them on then (decision 0031)."""

from django.db import migrations

OFF = {"greeting", "closing"}
RULES = [
    ("forbidden-phrases", "服务禁语", "forbidden", [
        "我不知道", "不归我管", "不是我负责", "你自己看", "你自己去查", "没办法", "我也没办法", "找别人去", "你找别人",
        "爱办不办", "投诉也没用", "你去投诉吧", "随便你", "听不懂吗", "有完没完", "烦不烦", "怎么这么笨", "你有病", "滚开"]),
    ("greeting", "缺少规范问候语", "greeting", ["您好", "你好", "欢迎", "很高兴为您服务"]),
    ("closing", "缺少规范结束语", "closing", ["感谢", "谢谢", "祝您", "再见", "请问还有其他", "如有疑问", "随时联系"]),
    ("personal-numbers", "自由文本中出现完整手机号或身份证号", "number", []),
    ("reveal-unverified", "未核验身份即查看客户身份信息", "reveal", []),
    ("time-limit", "工单处理超时", "time_limit", []),
]


def seed(apps, schema_editor):
    CheckRule = apps.get_model("quality", "CheckRule")
    for code, name, kind, words in RULES:
        CheckRule.objects.get_or_create(code=code, defaults={"name": name, "kind": kind, "words": words,
                                                             "is_active": code not in OFF})


class Migration(migrations.Migration):
    dependencies = [("quality", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
