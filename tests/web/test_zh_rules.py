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
sla_0009 = importlib.import_module("kefu.sla.migrations.0009_chinese_policy_names")


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


def test_seeded_sla_policies_are_named_in_chinese():
    from kefu.sla.defaults import POLICIES

    for name, description, _criteria, _targets in POLICIES:
        assert not name.isascii() and not description.isascii(), name
    assert [chinese for chinese, _d in sla_0009.RENAMES.values()] == [p[0] for p in POLICIES]


@pytest.mark.django_db
def test_sla_migration_renames_policies_still_as_seeded():
    from kefu.sla.models import SlaPolicy

    SlaPolicy.objects.all().delete()
    SlaPolicy.objects.create(name="Fault, rural", description=sla_0009.ENGLISH["Fault, rural"], kind="fault")
    SlaPolicy.objects.create(name="Complaint", description="Our own words", kind="complaint")
    SlaPolicy.objects.create(name="VIP faults", description="ours", kind="fault")
    sla_0009.rename(apps, None)
    assert dict(SlaPolicy.objects.values_list("name", "description")) == {
        "故障（农村）": "农村地区72小时内修复（《电信条例》第三十三条）。",
        "投诉": "Our own words",  # renamed; the operator's description kept
        "VIP faults": "ours"}
