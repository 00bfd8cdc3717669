"""Rules that beat the model: seeded threats to go to the regulator, the media or court."""

import pytest

from kefu.triage import rules
from kefu.triage.models import TriageRule


@pytest.mark.parametrize("text,severity,flag,rule", [
    ("话费乱扣，再不处理我就去工信部投诉", "major", True, "扬言向监管部门申诉"),
    ("已经打了12300", "major", True, "扬言向监管部门申诉"),
    ("我要找媒体曝光你们", "major", True, "扬言媒体曝光"),
    ("准备打315投诉", "major", True, "扬言媒体曝光"),
    ("我会请律师起诉", "major", True, "扬言诉诸法律"),
    ("整栋楼都断网了", "urgent", False, "群体性故障"),
])
def test_seeded_rules_raise_severity_and_flag(db, text, severity, flag, rule):
    kind, sev, flagged, fired = rules.apply(list(TriageRule.objects.filter(is_active=True)), text, "complaint", "general")
    assert (kind, sev, flagged) == ("complaint", severity, flag)
    assert rule in [f["rule"] for f in fired]


def test_rules_never_lower_severity_and_numbers_inside_numbers_do_not_match(db):
    active = list(TriageRule.objects.filter(is_active=True))
    assert rules.apply(active, "整栋楼都断网了", "fault", "major")[1] == "major"
    assert rules.apply(active, "订单号 13150000 的发票", "business", "general")[3] == []


def test_rule_order_and_kind_override(db):
    TriageRule.objects.create(name="Cancellation words", pattern="销户|注销号码", set_kind="business", position=0)
    kind, _sev, _flag, fired = rules.apply(list(TriageRule.objects.filter(is_active=True)), "我要销户，不然去工信部", "complaint", "general")
    assert kind == "business" and [f["rule"] for f in fired][0] == "Cancellation words"


def test_bad_patterns_are_refused(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        TriageRule(name="bad", pattern="(unclosed").full_clean()
