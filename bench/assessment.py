"""A month's staff assessment (考核) for 2,000 agents from the rollups (issue 17: < 10 s).

    .venv/bin/python bench/assessment.py --database postgres --agents 2000
    .venv/bin/python bench/assessment.py --database sqlite --agents 2000

Creates the agents in 40 departments and, for each, a month of day-grain and month-grain rollup
rows of what the default scheme reads (scores, time limits, contacts and first-contact
resolution, inspections, fatal errors, knowledge tests) — about what a month of 30 working days
leaves in the rollups for them — then times `assessment.services.compute` of that month (the
sums by person read once from the month rows, every indicator through the registry, bands,
ranks overall and per team, 2,000 sheets written) and `publish` (digest, audit, 2,000 notices).
"""

import argparse
import datetime as dt
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from throwaway import throwaway  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--agents", type=int, default=2000)
    args = parser.parse_args()
    with throwaway(args.database, "assessment"):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
        import django

        django.setup()
        from django.contrib.auth.models import Group
        from django.core.management import call_command
        from django.db import transaction

        from kefu.assessment import services
        from kefu.assessment.models import Scheme
        from kefu.reports import rollups
        from kefu.reports.models import Grain, Rollup
        from kefu.staff.models import Department, User

        call_command("migrate", verbosity=0)
        began = time.monotonic()
        rng = random.Random(7)
        depts = Department.objects.bulk_create([Department(code=f"team{n:02d}", name=f"客服{n:02d}组", kind="front_office")
                                                for n in range(40)])
        users = User.objects.bulk_create([User(username=f"agent{n:05d}", department=depts[n % 40], password="!")
                                          for n in range(args.agents)])
        group = Group.objects.get(name="agent")
        User.groups.through.objects.bulk_create([User.groups.through(user_id=u.pk, group_id=group.pk) for u in users])
        month = dt.date(2026, 11, 1)
        cells = {}
        for u in users:
            scored = rng.randint(20, 60)
            satisfied = int(scored * rng.uniform(0.75, 0.97))
            due = rng.randint(80, 200)
            contacts = rng.randint(300, 800)
            inspections = rng.randint(3, 6)
            measures = {"score:9": satisfied, "score:4": scored - satisfied, "clock_due:resolution": due,
                        "clock_met:resolution": int(due * rng.uniform(0.9, 1)), "contacts_ended": contacts,
                        "fcr": int(contacts * rng.uniform(0.6, 0.85)), "qa_done": inspections,
                        "qa_points": int(inspections * rng.uniform(78, 98) * 10), "qa_fatal": int(rng.random() < 0.03),
                        "exam_taken": 1, "exam_points": rng.randint(55, 100) * 10}
            for measure, value in measures.items():
                for d, (grain, period) in enumerate([(Grain.MONTH, month)] + [(Grain.DAY, month + dt.timedelta(days=d))
                                                                               for d in range(30)]):
                    share = value if grain == Grain.MONTH else value // 30 + (1 if d - 1 < value % 30 else 0)
                    for dim, key in (("agent", str(u.pk)), ("", "")):
                        k = (grain, period, u.department_id, "", dim, key, measure)
                        cells[k] = cells.get(k, 0) + share
        with transaction.atomic():
            rollups._add(cells)
        print(f"seeded {len(users):,} agents, {Rollup.objects.count():,} rollup rows in {time.monotonic() - began:.0f} s",
              flush=True)
        manager = User.objects.create_superuser("boss", password="x")
        scheme = Scheme.objects.get(role="agent")
        for attempt in range(2):
            began = time.monotonic()
            run = services.compute(manager, scheme.pk, "2026-11")
            print(f"computed {run.people:,} sheets in {time.monotonic() - began:.2f} s"
                  + (" (again: the draft replaced)" if attempt else ""), flush=True)
        began = time.monotonic()
        services.publish(manager, run.pk)
        print(f"published (digest, audit, {run.people:,} notices) in {time.monotonic() - began:.2f} s")
        top = run.results.order_by("rank").select_related("person").first()
        print(f"  first: {top.person} {top.total} points; teams of {top.team_size}")


if __name__ == "__main__":
    main()
