"""The starter category tree from REQUIREMENTS.md §4, loaded by a data migration.

Each entry: (code, Chinese name, English name, children). Kind and problem class come from
the top-level node. After installation the tree is the operator's to edit in the admin.
"""

TREE = [
    ("consultation", "咨询", "Consultation", "consultation", "general", [
        ("consult-plan", "资费套餐咨询", "Prices and plans", []),
        ("consult-usage", "使用量查询", "Usage", []),
        ("consult-balance", "余额查询", "Balance", []),
        ("consult-bill", "账单查询", "Bills", []),
        ("consult-rules", "业务规则咨询", "Service rules", []),
        ("consult-coverage", "网络覆盖咨询", "Network coverage", []),
    ]),
    ("business", "业务办理", "Business request", "business", "general", [
        ("biz-open", "开户", "Open a service", []),
        ("biz-plan-change", "套餐变更", "Change of plan", []),
        ("biz-transfer", "过户", "Transfer of ownership", []),
        ("biz-suspend", "停机", "Suspend", []),
        ("biz-resume", "复机", "Resume", []),
        ("biz-cancel", "销户", "Cancel", []),
        ("biz-vas", "增值业务办理", "Value-added services", []),
        ("biz-portability", "携号转网", "Number portability", []),
        ("biz-install", "宽带/固话装机", "Broadband or fixed-line installation", []),
        ("biz-data-change", "客户资料变更", "Change of customer data", []),
        ("biz-invoice", "发票", "Invoices", []),
    ]),
    ("fault", "故障报修", "Fault report", "fault", "technical", [
        ("fault-no-signal", "手机无信号", "No mobile signal", []),
        ("fault-mobile-data", "手机上网故障", "Mobile data fault", []),
        ("fault-call-quality", "通话质量差", "Poor call quality", []),
        ("fault-broadband-down", "宽带无法上网", "Broadband down", []),
        ("fault-broadband-slow", "宽带网速慢", "Slow broadband", []),
        ("fault-line", "线路故障", "Line fault", []),
        ("fault-device", "终端设备故障", "Device fault", []),
        ("fault-fixed-line", "固话故障", "Fixed-line fault", []),
        ("fault-iptv", "IPTV故障", "IPTV fault", []),
    ]),
    ("complaint", "投诉", "Complaint", "complaint", "special", [
        ("cmp-service", "服务问题", "Service", [
            ("cmp-service-attitude", "服务态度", "Staff attitude", []),
            ("cmp-service-efficiency", "办理效率", "Efficiency", []),
            ("cmp-service-process", "业务流程", "Process", []),
        ]),
        ("cmp-quality", "产品/网络质量", "Product and network quality", [
            ("cmp-quality-signal", "网络信号", "Network signal", []),
            ("cmp-quality-broadband", "宽带质量", "Broadband quality", []),
            ("cmp-quality-product", "产品功能", "Product features", []),
        ]),
        ("cmp-billing", "资费计费", "Fees and billing", [
            ("cmp-billing-wrong", "错误计费/乱扣费", "Wrong charge", []),
            ("cmp-billing-high", "费用过高", "Charges too high", []),
            ("cmp-billing-unclear", "收费不明", "Unclear charges", []),
            ("cmp-billing-vas", "未经同意订购增值业务", "Value-added service ordered without consent", []),
        ]),
        ("cmp-communication", "沟通不畅", "Poor communication", []),
    ]),
    ("suggestion", "建议", "Suggestion", "suggestion", "special", [
        ("sug-service", "服务建议", "Service", []),
        ("sug-product", "产品建议", "Products", []),
    ]),
    ("praise", "表扬", "Praise", "praise", "general", [
        ("praise-staff", "表扬员工", "Staff", []),
        ("praise-service", "表扬服务", "Service", []),
    ]),
]


def load(Category):
    """Create the tree where missing; existing rows (maybe edited by the operator) are kept."""
    order = 0

    def walk(nodes, parent, kind, problem_class):
        nonlocal order
        for code, name, name_en, children in nodes:
            order += 1
            node, _ = Category.objects.get_or_create(code=code, defaults={
                "name": name, "name_en": name_en, "parent": parent, "kind": kind,
                "problem_class": problem_class, "sort_order": order})
            walk(children, node, kind, problem_class)

    for code, name, name_en, kind, problem_class, children in TREE:
        walk([(code, name, name_en, children)], None, kind, problem_class)
