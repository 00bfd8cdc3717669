"""The demo's hotline: the operator's telephone platform (总部呼叫中心, hotline 10000), its IVR
menu, eight hotline agents at extensions 7001–7008 and the demo agent 王小客 at 8001, and
today's calls so far as the platform would have sent them (kefu cti simulate, a backfill of
the simulated agents only: 王小客 starts signed out, free to set herself ready)."""

import secrets
from datetime import timedelta
from io import StringIO

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone

from kefu.cti import ivr
from kefu.cti.models import Extension, Platform
from kefu.staff import roles
from kefu.staff.models import Department, User

PLATFORM = "pbx1"
HOTLINE_AGENTS = [("hotline1", "郑话务"), ("hotline2", "冯话务"), ("hotline3", "陈话务"), ("hotline4", "褚话务"),
                  ("hotline5", "卫话务"), ("hotline6", "蒋话务"), ("hotline7", "沈话务"), ("hotline8", "韩话务")]
DEMO_AGENT_EXTENSION = "8001"


def ensure_platform() -> Platform:
    platform, _created = Platform.objects.get_or_create(
        code=PLATFORM, defaults={"name": "总部呼叫中心", "secret": secrets.token_urlsafe(32)})
    ivr.install_default_menu(platform)
    front = Department.objects.filter(code="front-office").first()
    group = Group.objects.get(name=roles.AGENT)
    for n, (username, name) in enumerate(HOTLINE_AGENTS, start=1):
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, display_name=name, department=front)
            user.set_unusable_password()
            user.save()
            user.groups.add(group)
        Extension.objects.get_or_create(platform=platform, extension=f"70{n:02d}", defaults={"user": user})
    agent = User.objects.filter(username="agent").first()
    if agent is not None:
        Extension.objects.get_or_create(platform=platform, extension=DEMO_AGENT_EXTENSION, defaults={"user": agent})
    return platform


def seed(now=None) -> str:
    """The platform and today's calls from 08:00 (local) until a few minutes ago; the summary."""
    platform = ensure_platform()
    now = now or timezone.now()
    local = timezone.localtime(now)
    start = local.replace(hour=8, minute=0, second=0, microsecond=0)
    end = now - timedelta(minutes=3)
    if end - start < timedelta(minutes=30):  # shown early in the morning: the last hours instead
        start = end - timedelta(hours=3)
    out = StringIO()
    # No --start: the simulator ends the calls' tails before now (an explicit start would wait for them).
    call_command("cti", "simulate", "--platform", platform.code, "--agents", str(len(HOTLINE_AGENTS)), "--rate", "1.2",
                 "--minutes", str(int((end - start).total_seconds() // 60)), "--seed", "18", stdout=out)
    return out.getvalue().strip().splitlines()[-1] if out.getvalue().strip() else ""
