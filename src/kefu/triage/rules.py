"""Rules that beat the model, applied after it: the first match of each rule's pattern."""

import re

from kefu.orders.models import SEVERITY_RANK

# Seeded by a data migration; then the operator's to edit in the admin. Named in Chinese: agents
# read the names on the triage suggestion (0005 renamed the English names of earlier versions).
DEFAULT_RULES = [
    ("扬言向监管部门申诉", r"工信部|12300|通信管理局|管局|申诉|消协|消费者协会|12315",
     "", "major", True, "客户扬言向工信部或通信管理局申诉（越级投诉）。"),
    ("扬言媒体曝光", r"媒体|曝光|记者|电视台|报社|微博|抖音|热搜|315晚会|(?<!\d)315(?!\d)",
     "", "major", True, "舆情风险：客户扬言向媒体曝光。"),
    ("扬言诉诸法律", r"律师|起诉|法院|诉讼|仲裁|律师函|打官司",
     "", "major", True, "客户扬言起诉。"),
    ("群体性故障", r"整栋楼|整个小区|整条街|全村|大面积|集体|很多人都|邻居也",
     "", "urgent", False, "多名客户受影响：可能是同一起故障。"),
    ("客户表示紧急", r"紧急|十万火急|马上处理|立刻处理|急需|耽误.*(生意|工作)",
     "", "urgent", False, "客户表示等不了。"),
]


def apply(rules, text: str, kind: str, severity: str) -> tuple[str, str, bool, list[dict]]:
    """(kind, severity, flag_coordinator, fired) after RULES (objects with name, pattern,
    set_kind, raise_severity, flag_coordinator). Severity is only ever raised."""
    fired, flag = [], False
    for rule in rules:
        match = re.search(rule.pattern, text, flags=re.IGNORECASE)
        if match is None:
            continue
        effect = {}
        if rule.set_kind and rule.set_kind != kind:
            kind = effect["kind"] = rule.set_kind
        if rule.raise_severity and SEVERITY_RANK[rule.raise_severity] > SEVERITY_RANK[severity]:
            severity = effect["severity"] = rule.raise_severity
        if rule.flag_coordinator:
            flag = effect["flag_coordinator"] = True
        fired.append({"rule": rule.name, "matched": match.group(0), "effect": effect})
    return kind, severity, flag, fired
