"""Rules that beat the model, applied after it: the first match of each rule's pattern."""

import re

SEVERITY_RANK = {"general": 0, "urgent": 1, "major": 2}

# Seeded by a data migration; then the operator's to edit in the admin.
DEFAULT_RULES = [
    ("Threat to appeal to the regulator", r"工信部|12300|通信管理局|管局|申诉|消协|消费者协会|12315",
     "", "major", True, "A customer who threatens to go to MIIT or the communications administration (越级投诉)."),
    ("Threat of media exposure", r"媒体|曝光|记者|电视台|报社|微博|抖音|热搜|315晚会|(?<!\d)315(?!\d)",
     "", "major", True, "Public-opinion risk: the customer threatens to go to the media."),
    ("Threat of legal action", r"律师|起诉|法院|诉讼|仲裁|律师函|打官司",
     "", "major", True, "The customer threatens to sue."),
    ("Mass incident", r"整栋楼|整个小区|整条街|全村|大面积|集体|很多人都|邻居也",
     "", "urgent", False, "Many customers affected: probably one outage."),
    ("Urgent wording", r"紧急|十万火急|马上处理|立刻处理|急需|耽误.*(生意|工作)",
     "", "urgent", False, "The customer says it cannot wait."),
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
