"""Default SLA policies from REQUIREMENTS.md §5, loaded once by a data migration; after that
they are the operator's to edit in the admin. Each row: name, criteria, targets
(metric → (calendar, duration))."""

H24 = "24x7"
OFFICE = "cn-office"

POLICIES = [
    ("Default", "Service policy: a general response within 24 h, processed in 3 working days.", {}, {
        "acceptance": (H24, "24h"), "first_response": (H24, "24h"), "resolution": (OFFICE, "3wd"),
        "feedback": (OFFICE, "3wd"), "closure": (H24, "15d")}),
    ("Consultation", "A consultation is answered within 15 minutes and solved within 2 hours.", {"kind": "consultation"}, {
        "acceptance": (H24, "15m"), "first_response": (H24, "15m"), "resolution": (H24, "2h"), "closure": (H24, "3d")}),
    ("Business request", "A general service request is processed within 3 working days; activation within 24 h.",
     {"kind": "business"}, {
        "acceptance": (H24, "24h"), "first_response": (H24, "24h"), "resolution": (OFFICE, "3wd"),
        "feedback": (OFFICE, "3wd"), "closure": (H24, "15d")}),
    ("Business request, urgent", "An urgent request is processed within 1 working day.",
     {"kind": "business", "severity": "urgent"}, {
        "acceptance": (H24, "4h"), "first_response": (H24, "1h"), "resolution": (OFFICE, "1wd"),
        "feedback": (OFFICE, "1wd"), "closure": (H24, "15d")}),
    ("Complaint", "Accepted within 24 h, a first response within 1 h, investigated within 72 h, the result fed "
     "back within 3 working days; statutory ceiling: answered within 15 days (电信用户申诉处理办法).",
     {"kind": "complaint"}, {
        "acceptance": (H24, "24h"), "first_response": (H24, "1h"), "investigation": (H24, "72h"),
        "feedback": (OFFICE, "3wd"), "resolution": (H24, "15d"), "closure": (H24, "15d"), "update": (H24, "24h")}),
    ("Complaint, major", "A major complaint (regulator, media, court, mass incident, VIP) is answered within 24 h.",
     {"kind": "complaint", "severity": "major"}, {
        "acceptance": (H24, "1h"), "first_response": (H24, "1h"), "investigation": (H24, "24h"),
        "feedback": (H24, "24h"), "resolution": (H24, "24h"), "closure": (H24, "15d"), "update": (H24, "4h")}),
    ("Fault", "Fault response within 4 h; repaired within 48 h in cities (电信条例 art. 33).", {"kind": "fault"}, {
        "acceptance": (H24, "4h"), "first_response": (H24, "1h"), "resolution": (H24, "48h"),
        "feedback": (H24, "48h"), "closure": (H24, "72h"), "update": (H24, "24h")}),
    ("Fault, rural", "Repaired within 72 h in rural areas (电信条例 art. 33).", {"kind": "fault", "area": "rural"}, {
        "acceptance": (H24, "4h"), "first_response": (H24, "1h"), "resolution": (H24, "72h"),
        "feedback": (H24, "72h"), "closure": (H24, "96h"), "update": (H24, "24h")}),
    ("Fault, urgent", "Urgent fault: reply within 30 min, restored within 24 h.", {"kind": "fault", "severity": "urgent"}, {
        "acceptance": (H24, "30m"), "first_response": (H24, "30m"), "resolution": (H24, "24h"),
        "feedback": (H24, "24h"), "closure": (H24, "48h"), "update": (H24, "4h")}),
    ("Fault, major", "Major fault or service interruption: reply within 15 min, restored within 2 h.",
     {"kind": "fault", "severity": "major"}, {
        "acceptance": (H24, "15m"), "first_response": (H24, "15m"), "resolution": (H24, "2h"),
        "feedback": (H24, "2h"), "closure": (H24, "48h"), "update": (H24, "1h")}),
    ("Suggestion or praise", "Acknowledged within 24 h, answered within 3 working days.", {"kind": "suggestion"}, {
        "acceptance": (H24, "24h"), "feedback": (OFFICE, "3wd"), "closure": (H24, "15d")}),
    ("Praise", "Acknowledged within 24 h.", {"kind": "praise"}, {
        "acceptance": (H24, "24h"), "closure": (H24, "15d")}),
]


def seed_policies(SlaPolicy, SlaTarget, Calendar):
    calendars = {c.name: c for c in Calendar.objects.all()}
    for name, description, criteria, targets in POLICIES:
        policy, created = SlaPolicy.objects.get_or_create(name=name, defaults={"description": description, **criteria})
        if created:
            SlaTarget.objects.bulk_create([SlaTarget(policy=policy, metric=m, calendar=calendars[cal], duration=d)
                                           for m, (cal, d) in targets.items()])
