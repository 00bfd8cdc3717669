"""Default SLA policies from REQUIREMENTS.md §5, loaded once by a data migration; after that
they are the operator's to edit in the admin. Each row: name, criteria, targets
(metric → (calendar, duration)). Names and descriptions are the operator's data, in Chinese as
the category tree is (they show in order histories, reports and the admin; migration 0009
renamed the English ones of earlier versions)."""

H24 = "24x7"
OFFICE = "cn-office"

POLICIES = [
    ("默认", "服务政策：一般诉求24小时内响应，3个工作日内处理完毕。", {}, {
        "acceptance": (H24, "24h"), "first_response": (H24, "24h"), "resolution": (OFFICE, "3wd"),
        "feedback": (OFFICE, "3wd"), "closure": (H24, "15d")}),
    ("咨询", "咨询15分钟内应答，2小时内解决。", {"kind": "consultation"}, {
        "acceptance": (H24, "15m"), "first_response": (H24, "15m"), "resolution": (H24, "2h"), "closure": (H24, "3d")}),
    ("业务办理", "一般业务3个工作日内办结；开通类业务24小时内。",
     {"kind": "business"}, {
        "acceptance": (H24, "24h"), "first_response": (H24, "24h"), "resolution": (OFFICE, "3wd"),
        "feedback": (OFFICE, "3wd"), "closure": (H24, "15d")}),
    ("业务办理（紧急）", "紧急业务1个工作日内办结。",
     {"kind": "business", "severity": "urgent"}, {
        "acceptance": (H24, "4h"), "first_response": (H24, "1h"), "resolution": (OFFICE, "1wd"),
        "feedback": (OFFICE, "1wd"), "closure": (H24, "15d")}),
    ("投诉", "24小时内受理，1小时内首次响应，72小时内调查核实，3个工作日内反馈处理结果；法定时限：15日内答复"
     "（《电信用户申诉处理办法》）。",
     {"kind": "complaint"}, {
        "acceptance": (H24, "24h"), "first_response": (H24, "1h"), "investigation": (H24, "72h"),
        "feedback": (OFFICE, "3wd"), "resolution": (H24, "15d"), "closure": (H24, "15d"), "update": (H24, "24h")}),
    ("投诉（重大）", "重大投诉（扬言申诉、媒体曝光、诉讼、群体性事件、VIP客户）24小时内答复。",
     {"kind": "complaint", "severity": "major"}, {
        "acceptance": (H24, "1h"), "first_response": (H24, "1h"), "investigation": (H24, "24h"),
        "feedback": (H24, "24h"), "resolution": (H24, "24h"), "closure": (H24, "15d"), "update": (H24, "4h")}),
    ("故障", "故障4小时内响应；城市48小时内修复（《电信条例》第三十三条）。", {"kind": "fault"}, {
        "acceptance": (H24, "4h"), "first_response": (H24, "1h"), "resolution": (H24, "48h"),
        "feedback": (H24, "48h"), "closure": (H24, "72h"), "update": (H24, "24h")}),
    ("故障（农村）", "农村地区72小时内修复（《电信条例》第三十三条）。", {"kind": "fault", "area": "rural"}, {
        "acceptance": (H24, "4h"), "first_response": (H24, "1h"), "resolution": (H24, "72h"),
        "feedback": (H24, "72h"), "closure": (H24, "96h"), "update": (H24, "24h")}),
    ("故障（紧急）", "紧急故障30分钟内回复，24小时内恢复。", {"kind": "fault", "severity": "urgent"}, {
        "acceptance": (H24, "30m"), "first_response": (H24, "30m"), "resolution": (H24, "24h"),
        "feedback": (H24, "24h"), "closure": (H24, "48h"), "update": (H24, "4h")}),
    ("故障（重大）", "重大故障或服务中断15分钟内回复，2小时内恢复。",
     {"kind": "fault", "severity": "major"}, {
        "acceptance": (H24, "15m"), "first_response": (H24, "15m"), "resolution": (H24, "2h"),
        "feedback": (H24, "2h"), "closure": (H24, "48h"), "update": (H24, "1h")}),
    ("建议", "24小时内确认收到，3个工作日内答复。", {"kind": "suggestion"}, {
        "acceptance": (H24, "24h"), "feedback": (OFFICE, "3wd"), "closure": (H24, "15d")}),
    ("表扬", "24小时内确认收到。", {"kind": "praise"}, {
        "acceptance": (H24, "24h"), "closure": (H24, "15d")}),
]


def seed_policies(SlaPolicy, SlaTarget, Calendar):
    calendars = {c.name: c for c in Calendar.objects.all()}
    for name, description, criteria, targets in POLICIES:
        policy, created = SlaPolicy.objects.get_or_create(name=name, defaults={"description": description, **criteria})
        if created:
            SlaTarget.objects.bulk_create([SlaTarget(policy=policy, metric=m, calendar=calendars[cal], duration=d)
                                           for m, (cal, d) in targets.items()])
