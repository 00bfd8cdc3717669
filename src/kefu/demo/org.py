"""The demo organisation: departments and the five demo logins (README lists them)."""

from django.contrib.auth.models import Group
from django.db import transaction

from kefu.staff import roles
from kefu.staff.models import Department, User

DEPARTMENTS = [
    # code, name, kind
    ("front-office", "客服中心一线", Department.Kind.FRONT_OFFICE),
    ("tech-support", "技术支持中心", Department.Kind.TECH_SUPPORT),
    ("billing", "计费账务中心", Department.Kind.BILLING),
    ("complaints", "投诉处理中心", Department.Kind.COMPLAINTS),
    ("sales", "市场销售部", Department.Kind.SALES),
    ("network-ops", "网络运维中心", Department.Kind.NETWORK_OPS),
    ("store", "营业厅", Department.Kind.STORE),
    ("quality", "质检组", Department.Kind.QUALITY),
]

A = Department.Assignment
# code: tier, assignment strategy, escalates to
ROUTING = {
    "front-office": (1, A.ROUND_ROBIN, "tech-support"),
    "store": (1, A.MANUAL, "front-office"),
    "tech-support": (2, A.SKILL, "network-ops"),
    "billing": (2, A.ROUND_ROBIN, None),
    "complaints": (2, A.LEAST_LOADED, None),
    "sales": (2, A.ROUND_ROBIN, None),
    "quality": (2, A.MANUAL, None),
    "network-ops": (3, A.LEAST_LOADED, None),
}

# Skills: code, name, category codes that need it, who has it.
SKILLS = [
    ("broadband", "宽带与光纤", ["fault-broadband-down", "fault-broadband-slow", "fault-line", "fault-iptv"], ["handler", "handler2"]),
    ("mobile-network", "移动网络", ["fault-no-signal", "fault-mobile-data", "fault-call-quality"], ["handler2", "netops1"]),
]

# username, password, display name, role, department code
DEMO_USERS = [
    ("agent", "kefu-agent", "王小客 (客服代表)", roles.AGENT, "front-office"),
    ("handler", "kefu-handler", "李工 (技术支持)", roles.TECH_SUPPORT, "tech-support"),
    ("coordinator", "kefu-coordinator", "赵协调 (投诉协调)", roles.COORDINATOR, "complaints"),
    ("supervisor", "kefu-supervisor", "陈班长 (班组长)", roles.SUPERVISOR, "front-office"),
    ("admin", "kefu-admin", "系统管理员", roles.ADMINISTRATOR, None),
]

# Logins added after the data's people (so the seeded data stays the same): management reads
# every figure and the closed reports (kefu.reports).
LATER_USERS = [
    ("manager", "kefu-manager", "黄经理 (服务经理)", roles.MANAGER, None),
    ("inspector", "kefu-inspector", "孙质检 (质检员)", roles.QA_INSPECTOR, "complaints"),
    ("inspector2", "kefu-inspector2", "钱质检 (质检员)", roles.QA_INSPECTOR, "quality"),
]

# Extra staff without logins worth printing, so queues and assignments look like a real centre.
EXTRA_STAFF = [
    ("agent2", "周一线", roles.AGENT, "front-office"),
    ("agent3", "吴一线", roles.AGENT, "front-office"),
    ("handler2", "郑工", roles.TECH_SUPPORT, "tech-support"),
    ("netops1", "孙运维", roles.TECH_SUPPORT, "network-ops"),
    ("billing1", "钱账务", roles.COORDINATOR, "billing"),
    ("coordinator2", "冯协调", roles.COORDINATOR, "complaints"),
    ("sales1", "刘销售", roles.SALES, "sales"),
    ("store1", "何营业", roles.AGENT, "store"),
]


@transaction.atomic
def ensure_org() -> dict:
    """Create the departments and staff if missing; return {code: Department}."""
    depts = {}
    for code, name, kind in DEPARTMENTS:
        depts[code], _ = Department.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})
    people = ([(u, p, n, r, d) for u, p, n, r, d in DEMO_USERS] + [(u, None, n, r, d) for u, n, r, d in EXTRA_STAFF]
              + [(u, p, n, r, d) for u, p, n, r, d in LATER_USERS])
    for username, password, name, role, dept in people:
        user = User.objects.filter(username=username).first()
        if user is None:
            # Logins get an address (the reserved .example domain) so that reports can be
            # subscribed to by e-mail in the demo.
            user = User(username=username, display_name=name, department=depts.get(dept),
                        email=f"{username}@kefu-demo.example" if password else "",
                        is_staff=role in (roles.ADMINISTRATOR, roles.SUPERVISOR), is_superuser=role == roles.ADMINISTRATOR)
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.save()
            user.groups.add(Group.objects.get(name=role))
    for code, lead in (("front-office", "supervisor"), ("tech-support", "handler"), ("complaints", "coordinator")):
        Department.objects.filter(code=code, lead__isnull=True).update(lead=User.objects.get(username=lead))
    ensure_routing(depts)
    ensure_dispatch_rules(depts)
    return depts


def ensure_routing(depts) -> None:
    """Tiers, strategies and skills of the demo centre; everyone starts the demo available."""
    from kefu.orders.models import Category
    from kefu.routing.models import Skill

    for code, (tier, assignment, up) in ROUTING.items():
        Department.objects.filter(code=code, assignment=A.MANUAL, tier=1, escalates_to__isnull=True).update(
            tier=tier, assignment=assignment, escalates_to=depts.get(up))
    usernames = [u for u, *_rest in DEMO_USERS + LATER_USERS] + [u for u, *_rest in EXTRA_STAFF]
    User.objects.filter(username__in=usernames, presence=User.Presence.OFFLINE, presence_since__isnull=True).update(
        presence=User.Presence.AVAILABLE)
    for code, name, categories, members in SKILLS:
        skill, created = Skill.objects.get_or_create(code=code, defaults={"name": name})
        if created:
            skill.categories.set(Category.objects.filter(code__in=categories))
            skill.members.set(User.objects.filter(username__in=members))


# Ordered dispatch rules of the demo centre: name, criteria, department code (first match wins).
DISPATCH_RULES = [
    ("扬言申诉、曝光、起诉的工单 → 投诉处理中心", {"flagged": True}, "complaints"),
    ("重大投诉 → 投诉处理中心", {"kind": "complaint", "severity": "major"}, "complaints"),
    ("计费类投诉 → 计费账务中心", {"kind": "complaint", "category": "cmp-billing"}, "billing"),
    ("其他投诉 → 投诉处理中心", {"kind": "complaint"}, "complaints"),
    ("重大故障 → 网络运维中心", {"kind": "fault", "severity": "major"}, "network-ops"),
    ("其他故障 → 技术支持中心", {"kind": "fault"}, "tech-support"),
    ("业务办理 → 市场销售部", {"kind": "business"}, "sales"),
    ("其余工单 → 客服中心一线", {}, "front-office"),
]


def ensure_dispatch_rules(depts) -> None:
    from kefu.orders.models import Category
    from kefu.routing.models import DispatchRule

    if DispatchRule.objects.exists():
        return  # the operator's rules are theirs
    for position, (name, criteria, dept) in enumerate(DISPATCH_RULES, start=1):
        criteria = dict(criteria)
        if "category" in criteria:
            criteria["category"] = Category.objects.get(code=criteria["category"])
        DispatchRule.objects.create(name=name, position=position * 10, department=depts[dept], **criteria)


def logins_text() -> str:
    lines = ["Demo logins (user / password):"]
    lines += [f"  {u:<12} {p:<18} {n}" for u, p, n, _r, _d in DEMO_USERS + LATER_USERS]
    return "\n".join(lines)


ARTICLES = [
    ("宽带无法上网的排查步骤", "1. 确认光猫 PON 灯常亮、LOS 灯不亮；2. 重启光猫和路由器；3. 检查网线连接；"
     "4. 如 LOS 灯红色闪烁，说明光纤中断，登记故障工单，派技术支持上门，城市 48 小时内修复。", "宽带,断网,光猫,故障", "fault-broadband-down"),
    ("话费异常扣费的处理", "核实账单明细与增值业务订购记录；确认为误订或未经同意订购的，按规定退费并退订；"
     "向客户说明退费到账时间；涉及乱扣费的投诉须在 48 小时内响应。", "扣费,退费,增值业务,投诉", "cmp-billing-wrong"),
    ("套餐变更规则", "套餐变更次月生效；合约期内的套餐只能升档不能降档；变更前向客户说明资费差异并取得确认。",
     "套餐,变更,资费", None),
    ("携号转网的条件", "号码已实名登记、无欠费、不在合约期内、未停机，可申请携号转网；发送短信 CXXZ#姓名#证件号码 查询资格。",
     "携号转网,转网", None),
    ("手机信号差的处理", "确认所在位置与终端型号；请客户重启手机、检查是否开启 5G；同一区域多位客户反映的，登记网络故障工单并转网络运维。",
     "信号,5G,网络", None),
]


def ensure_knowledge() -> int:
    """A few demo knowledge base articles (once)."""
    from kefu.knowledge.models import Article
    from kefu.knowledge.services import index
    from kefu.orders.models import Category

    if Article.objects.exists():
        return 0
    codes = dict(Category.objects.values_list("code", "pk"))
    for title, body, tags, code in ARTICLES:
        article = Article.objects.create(title=title, body=body, tags=tags, category_id=codes.get(code))
        index(article)
    return len(ARTICLES)
