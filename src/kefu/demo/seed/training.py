"""The demo's knowledge tests (培训考试): a bank of telecom customer-service questions in Chinese —
packages, billing, real-name rules, number portability, complaint handling, faults, service
phrases — each tied to the demo knowledge base article it tests where one fits; two tests built
from it by the demo supervisor and assigned to the front line and the complaint desks: last
month's business test taken by most (one agent let it pass its due date: expired, 0), this
week's complaint-handling test taken by a few and waiting for the rest (the demo agent among
them). Made through kefu.training.services, as the pages make them; loaded once."""

from __future__ import annotations

import datetime as dt
from random import Random

# kind: s single, m multiple, t true or false (right: 0 true, 1 false). Article: a demo article's title.
QUESTIONS = [
    # topic, kind, text, options, right, explanation, article
    ("套餐资费", "s", "客户在当月申请变更套餐，新套餐一般何时生效？", ["立即生效", "次月1日生效", "下一个合约期开始时生效", "三个工作日后生效"], [1],
     "套餐变更次月生效，当月仍按原套餐计费，办理时要向客户说明。", "套餐变更规则"),
    ("套餐资费", "t", "合约期内的套餐可以办理降档。", [], [1], "合约期内的套餐只能升档，不能降档。", "套餐变更规则"),
    ("套餐资费", "m", "为客户办理套餐变更前，客服应当做到哪些？", ["说明新旧套餐的资费差异", "取得客户的明确确认", "直接替客户选择最便宜的套餐", "告知新套餐的生效时间"],
     [0, 1, 3], "变更前说明资费差异、生效时间，并取得客户确认；不得替客户做决定。", "套餐变更规则"),
    ("套餐资费", "s", "客户询问“流量用超了怎么收费”，最恰当的答复是？", ["按套餐外资费标准如实告知，并介绍适合的流量包", "告诉客户超出部分不收费", "让客户自己去营业厅查询",
                                                  "直接为客户订购流量包"], [0], "如实告知资费，订购任何业务须经客户同意。", ""),
    ("计费账务", "s", "客户反映话费中出现未订购的增值业务费，首先应当？", ["核实账单明细与增值业务订购记录", "直接全额退费", "告知客户无法处理", "建议客户销户"], [0],
     "先核实话费清单和订购记录，再按结果处理。", "话费异常扣费的处理"),
    ("计费账务", "t", "确认为未经客户同意订购的增值业务，应按规定退费并为客户退订。", [], [0], "未经同意订购属于乱扣费，须退费并退订。", "话费异常扣费的处理"),
    ("计费账务", "s", "涉及乱扣费的投诉，须在多长时间内响应？", ["24小时内", "48小时内", "7天内", "15个工作日内"], [1], "乱扣费投诉须在48小时内响应。",
     "话费异常扣费的处理"),
    ("计费账务", "m", "处理话费争议时，以下哪些做法是正确的？", ["向客户说明退费到账时间", "与客户一起核对话费清单", "承诺客户以后绝不会再扣费", "在工单中记录核实和处理经过"],
     [0, 1, 3], "不作无法兑现的承诺；处理经过须记入工单，便于回访和追溯。", "话费异常扣费的处理"),
    ("实名制", "s", "办理手机号码入网，必须？", ["出示本人有效身份证件并进行实名登记", "提供任意一个身份证号码即可", "只需留下联系电话", "无需任何证件"], [0],
     "电话用户真实身份信息登记（实名制）要求入网时核验本人有效证件。", ""),
    ("实名制", "t", "为方便以后核实身份，客服可以把客户的完整身份证号码写进工单备注。", [], [1],
     "客户个人信息只能记录在客户资料中，不得写入备注等自由文本，质检会判为泄露客户信息。", ""),
    ("实名制", "m", "客户来电查询通话详单前，可以用于核实身份的方式有？", ["服务密码", "身份证件号码核验", "客户报出的姓名", "发送到本机号码的短信验证码"], [0, 1, 3],
     "仅凭姓名不能核实身份；查询详单属于敏感业务，须先核验。", ""),
    ("实名制", "s", "按工信部规定，一个身份证件在同一家基础电信企业最多可以办理几张手机卡？", ["3张", "5张", "10张", "不限"], [1], "同一证件在同一企业最多办理5张手机卡。", ""),
    ("携号转网", "s", "客户想查询自己的号码能否携号转网，可以发送什么短信？", ["CXXZ#姓名#证件号码", "KTXZ", "TD", "CXYE"], [0],
     "发送“CXXZ#姓名#证件号码”即可查询携号转网资格。", "携号转网的条件"),
    ("携号转网", "m", "以下哪些是办理携号转网的条件？", ["号码已实名登记", "无欠费", "不在合约期内", "入网满十年"], [0, 1, 2],
     "号码已实名登记、无欠费、不在合约期内、未停机，可申请携号转网。", "携号转网的条件"),
    ("携号转网", "t", "号码处于停机状态时，也可以直接办理携号转网。", [], [1], "停机的号码须先复机，才能申请携号转网。", "携号转网的条件"),
    ("携号转网", "s", "客户以“不让转网就去工信部投诉”施压，客服应当？", ["耐心核实原因，说明不能转网的具体原因和解决办法", "直接拒绝并结束通话", "为避免投诉违规办理",
                                                 "告诉客户随便去投诉"], [0], "依规办理、讲清原因和解决路径；扬言越级投诉的要按规定标记。", "携号转网的条件"),
    ("投诉处理", "s", "首问负责制要求？", ["第一位受理客户诉求的人员负责跟踪直至闭环", "谁有空谁处理", "转给其他部门后就不再过问", "只负责记录，不负责跟进"], [0],
     "首问负责人对客户所知和处理结果负责，直至工单闭环。", ""),
    ("投诉处理", "m", "判定重复投诉通常看哪些因素？", ["同一客户", "同一问题", "在规定时间内再次投诉", "客户语气是否激动"], [0, 1, 2],
     "重复投诉看客户、问题和时间，与语气无关。", ""),
    ("投诉处理", "s", "客户扬言要向工信部申诉（越级投诉）时，工单应当？", ["标记并按规定升级处理", "按普通咨询处理", "等客户真的申诉了再说", "直接关闭工单"], [0],
     "扬言申诉、曝光、起诉的工单要标记，由投诉处理中心优先处理。", ""),
    ("投诉处理", "t", "回访时客户表示问题没有解决，应当重新开启工单。", [], [0], "回访发现问题未解决，工单重新开启，交回首问负责人。", ""),
    ("故障处理", "s", "客户反映宽带无法上网，光猫LOS灯红色闪烁，说明什么？", ["光纤线路中断，应登记故障工单并派技术支持上门", "路由器设置错误", "客户欠费停机", "访问的网站出现故障"],
     [0], "LOS灯红色闪烁表示光纤中断，城市地区48小时内修复。", "宽带无法上网的排查步骤"),
    ("故障处理", "m", "宽带断网时，客服可以引导客户做哪些初步排查？", ["查看光猫PON灯和LOS灯状态", "重启光猫和路由器", "检查网线是否连接好", "更换宽带套餐"],
     [0, 1, 2], "先排查设备和线路，不能以更换套餐代替故障处理。", "宽带无法上网的排查步骤"),
    ("故障处理", "s", "同一区域多位客户反映手机信号差，应当？", ["登记网络故障工单并转网络运维", "建议每位客户更换手机", "告知客户无法处理", "只做记录不做处理"], [0],
     "同一区域集中反映的，按网络故障登记并转网络运维中心。", "手机信号差的处理"),
    ("服务规范", "s", "接听客户来电时，规范的开场语是？", ["“您好，很高兴为您服务，请问有什么可以帮您？”", "“喂，什么事？”", "“说吧。”", "“你找谁？”"], [0],
     "使用标准服务用语开场，语气亲切。", ""),
    ("服务规范", "t", "客户情绪激动时，客服可以说“这不归我管，你找别人去”。", [], [1], "“这不归我管”属于服务禁语，质检会自动识别。", ""),
    ("服务规范", "m", "以下哪些属于服务禁语？", ["“不知道。”", "“这不归我管。”", "“请您稍等，我帮您查询一下。”", "“你自己看着办。”"], [0, 1, 3],
     "推诿、生硬的话都是服务禁语；请客户稍等并说明原因是规范用语。", ""),
]
KINDS = {"s": "single", "m": "multiple", "t": "true_false"}

# title, description, pass mark, time limit, question topics, days ago published, days until due (negative: past)
BUSINESS = ("业务知识月度测试", "套餐资费、计费账务、实名制和携号转网的业务规定，限时30分钟。", 80, 30,
            ("套餐资费", "计费账务", "实名制", "携号转网"), 24, -3)
COMPLAINTS = ("投诉处理与服务规范测试", "首问负责制、重复投诉与越级投诉、故障受理和服务用语。", 80, None,
              ("投诉处理", "故障处理", "服务规范"), 2, 5)
# Who takes each test and how well they know it (the chance of a right answer); None: not taken yet.
BUSINESS_TAKERS = {"agent": 0.85, "agent2": 0.7, "agent3": None, "store1": 0.9, "coordinator": 0.95, "coordinator2": 0.6,
                   "billing1": 0.8, "sales1": 0.75}
COMPLAINT_TAKERS = {"agent": None, "agent2": 0.8, "agent3": None, "coordinator": 0.9, "coordinator2": None, "store1": None}


def _answer(rng: Random, question, skill: float) -> list[int]:
    right = sorted(question.correct)
    if rng.random() < skill:
        return right
    if question.kind == "multiple":  # one right option left out, or one wrong one added
        wrong = [n for n in range(len(question.options)) if n not in right]
        return right[:-1] if len(right) > 1 and (not wrong or rng.random() < 0.5) else sorted(right + wrong[:1])
    return [next(n for n in range(len(question.options)) if n not in right)]


def seed(now: dt.datetime, *, seed: int = 1) -> dict:
    """The question bank and the two tests (once: a bank with questions is left as it is)."""
    from kefu.knowledge.models import Article
    from kefu.staff.models import User
    from kefu.training import services as training
    from kefu.training.models import Question

    if Question.objects.exists():
        return {}
    author = User.objects.filter(username="supervisor").first()
    if author is None:
        return {}
    articles = dict(Article.objects.values_list("title", "pk"))
    made = []
    start = now - dt.timedelta(days=40)
    for n, (topic, kind, text, options, right, explanation, article) in enumerate(QUESTIONS):
        made.append(training.create_question(author, text=text, kind=KINDS[kind], options=options, correct=right,
                                             explanation=explanation, article_id=articles.get(article), topic=topic,
                                             now=start + dt.timedelta(hours=n)))
    rng = Random(seed * 7919 + 33)
    taken = 0
    for (title, description, pass_mark, limit, topics, ago, due_in), takers in ((BUSINESS, BUSINESS_TAKERS),
                                                                              (COMPLAINTS, COMPLAINT_TAKERS)):
        published_at = now - dt.timedelta(days=ago)
        questions = [q for q in made if q.topic in topics]
        exam = training.create_exam(author, title=title, description=description, pass_mark=pass_mark,
                                    time_limit_minutes=limit, now=published_at - dt.timedelta(hours=2), questions=[
                                        {"question_id": q.pk, "points": 2 if q.kind == "multiple" else 1} for q in questions])
        exam = training.publish_exam(author, exam.pk, exam.version, now=published_at)
        people = dict(training.takers(author).filter(username__in=list(takers)).values_list("username", "pk"))
        due = now + dt.timedelta(days=due_in)
        assigned_at = published_at + dt.timedelta(hours=1)
        done = training.assign(author, exam.pk, person_ids=list(people.values()), due_at=due,
                               now=min(assigned_at, due - dt.timedelta(days=1))).created
        by_person = {a.person_id: a for a in done}
        for username, skill in takers.items():
            if skill is None or username not in people:
                continue
            person = User.objects.get(pk=people[username])
            at = min(assigned_at + dt.timedelta(hours=rng.randint(20, 24 * max(1, ago - 4))), now - dt.timedelta(hours=1))
            training.start(person, by_person[person.pk].pk, now=at - dt.timedelta(minutes=rng.randint(8, 20)))
            training.submit(person, by_person[person.pk].pk, {str(q.pk): _answer(rng, q, skill) for q in questions}, now=at)
            taken += 1
    expired = training.expire_overdue(now)  # last month's test, not taken by its due date
    return {"questions": len(made), "exams": 2, "taken": taken, "expired": expired}
