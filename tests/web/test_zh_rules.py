"""Seeded rule names are Chinese (agents read them on the triage suggestion and in histories):
new installations seed them so, and the data migrations rename those of earlier versions, unless
the operator changed them."""
import importlib

import pytest
from django.apps import apps

from kefu.routing.models import DispatchRule
from kefu.staff.models import Department
from kefu.triage.models import TriageRule
from kefu.triage.rules import DEFAULT_RULES

triage_0005 = importlib.import_module("kefu.triage.migrations.0005_chinese_rule_names")
routing_0002 = importlib.import_module("kefu.routing.migrations.0002_chinese_rule_names")


def test_seeded_triage_rules_are_named_in_chinese():
    for name, _pattern, _kind, _severity, _flag, description in DEFAULT_RULES:
        assert name.isascii() is False and description.isascii() is False, name


@pytest.mark.django_db
def test_triage_migration_renames_rules_still_as_seeded():
    TriageRule.objects.all().delete()
    TriageRule.objects.create(name="Threat to appeal to the regulator", pattern="工信部",
                              description="A customer who threatens to go to MIIT or the communications administration (越级投诉).")
    TriageRule.objects.create(name="Threat of legal action", pattern="律师", description="Our own words")
    TriageRule.objects.create(name="Mass incident (edited)", pattern="全村")
    triage_0005.rename(apps, None)
    assert dict(TriageRule.objects.values_list("name", "description")) == {
        "扬言向监管部门申诉": "客户扬言向工信部或通信管理局申诉（越级投诉）。",
        "扬言诉诸法律": "Our own words",  # renamed; the operator's description kept
        "Mass incident (edited)": ""}


@pytest.mark.django_db
def test_routing_migration_renames_the_demos_dispatch_rules():
    desk = Department.objects.create(code="d", name="d", kind="front_office")
    DispatchRule.objects.create(name="Faults → tech support", department=desk, position=1)
    DispatchRule.objects.create(name="our faults", department=desk, position=2)
    routing_0002.rename(apps, None)
    assert set(DispatchRule.objects.values_list("name", flat=True)) == {"其他故障 → 技术支持中心", "our faults"}
