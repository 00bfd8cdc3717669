"""The scorecard a new installation inspects with (version 1, in use): the sections of the
operators' inspection standards, 100 points, three fatal items (致命项), pass mark 80. Items tied
to an automatic check are pre-filled as failed where it fired."""

from django.db import migrations
from django.utils import timezone

ITEMS = [
    ("服务态度", "语气亲切、耐心倾听，无推诿、无顶撞", "points", 15, False, False, ""),
    ("服务用语", "使用规范问候语和结束语", "points", 10, False, True, "greeting"),
    ("服务用语", "未使用服务禁语", "points", 10, False, False, "forbidden-phrases"),
    ("身份核验", "办理业务或查询个人信息前按规定核验客户身份", "points", 10, False, True, ""),
    ("解答准确", "解答准确、完整，符合业务规定和资费政策", "points", 20, False, False, ""),
    ("流程规范", "落实首问负责制，正确登记、派单或转办", "points", 15, False, True, ""),
    ("记录完整", "接触记录和工单信息完整、准确", "points", 10, False, False, ""),
    ("处理效率", "在规定时限内处理或反馈", "points", 10, False, True, "time-limit"),
    ("致命项", "泄露客户个人信息（含在记录中录入完整手机号、证件号）", "pass_fail", 0, True, False, "personal-numbers"),
    ("致命项", "未核验身份即透露客户信息", "pass_fail", 0, True, False, "reveal-unverified"),
    ("致命项", "辱骂、威胁客户或与客户争吵", "pass_fail", 0, True, False, ""),
]


def seed(apps, schema_editor):
    Scorecard, Item = apps.get_model("quality", "Scorecard"), apps.get_model("quality", "ScorecardItem")
    CheckRule = apps.get_model("quality", "CheckRule")
    if Scorecard.objects.exists():
        return
    now = timezone.now()
    card = Scorecard.objects.create(name="通用质检评分表", version=1, status="active", pass_mark=80, created_at=now,
                                    published_at=now)
    rules = dict(CheckRule.objects.values_list("code", "pk"))
    Item.objects.bulk_create([
        Item(scorecard=card, position=n, section=section, text=text, kind=kind, points=points, fatal=fatal, allow_na=na,
             rule_id=rules.get(rule) if rule else None)
        for n, (section, text, kind, points, fatal, na, rule) in enumerate(ITEMS, start=1)])


class Migration(migrations.Migration):
    dependencies = [("quality", "0003_scorecards_inspections")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
