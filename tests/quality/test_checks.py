"""The automatic checks as pure functions: what fires, on which words, what does not."""

from kefu.quality import checks
from kefu.quality.checks import Facts, Rule, Text

RULES = [
    Rule("taboo", checks.FORBIDDEN, ("不归我管", "你有病")),
    Rule("hello", checks.GREETING, ("您好", "你好")),
    Rule("bye", checks.CLOSING, ("感谢", "再见")),
    Rule("numbers", checks.NUMBER),
    Rule("reveal", checks.REVEAL),
    Rule("late", checks.TIME_LIMIT),
]


def test_a_full_number_fires_masked_a_masked_one_does_not():
    facts = Facts("hotline", [Text("接触摘要", "客户新号码13812345678，原号码138****5678；身份证11010519491231002X")])
    hits = checks.check(facts, RULES)
    assert hits == [checks.Hit("numbers", "接触摘要", "138****5678、110***********002X")]
    assert "13812345678" not in str(hits)


def test_an_id_number_with_a_wrong_checksum_and_longer_digit_runs_do_not_fire():
    facts = Facts("hotline", [Text("备注", "订单号 110105194912310021，流水 2138123456789")])
    assert checks.check(facts, RULES) == []


def test_forbidden_phrases_name_the_words_and_where():
    facts = Facts("hotline", [Text("GD1 于 10:05", "这个不归我管，你找营业厅"), Text("接触摘要", "客户咨询套餐")])
    assert checks.check(facts, RULES) == [checks.Hit("taboo", "GD1 于 10:05", "不归我管")]


def test_greeting_and_closing_on_written_channels_only():
    replies = [Text("GD1 于 10:05", "请提供您的号码", True), Text("GD1 于 10:20", "已为您处理完毕", True)]
    written = checks.check(Facts("online_chat", replies), RULES)
    assert [(h.rule, h.where) for h in written] == [("hello", "GD1 于 10:05"), ("bye", "GD1 于 10:20")]
    polite = [Text("a", "您好，请提供您的号码", True), Text("b", "已处理完毕，感谢您的耐心", True)]
    assert checks.check(Facts("online_chat", polite), RULES) == []
    assert checks.check(Facts("hotline", replies), RULES) == []  # a call's words are not typed


def test_reveals_and_breaches_are_reported_where_they_happened():
    facts = Facts("hotline", unverified_reveals=["10:03 查看身份信息"], breached=["GD20261201000001"])
    assert checks.check(facts, RULES) == [checks.Hit("reveal", "10:03 查看身份信息", ""),
                                          checks.Hit("late", "GD20261201000001", "")]
