"""Routing's configuration, with the same rules as the admin (validated as it validates, and
audited): the dispatch rules (`list_rules`, `save_rule`, `delete_rule`), the skills
(`list_skills`, `save_skill`) and a department's tier, next tier, assignment strategy and
offline policy (`configure_department`)."""

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.audit import services as audit
from kefu.core.errors import ValidationFailed
from kefu.core.services import get_or_404, require, save_checked
from kefu.orders.models import Category
from kefu.staff.models import Department, User

from ..models import DispatchRule, Skill

RULE_FIELDS = {"name", "position", "is_active", "kind", "category_id", "severity", "channel", "segment", "province",
               "flagged", "department_id"}

SKILL_FIELDS = {"code", "name", "kind"}

DEPARTMENT_FIELDS = {"tier", "escalates_to_id", "assignment", "offline_policy"}


def list_rules(actor):
    require(actor, "routing.view_dispatchrule")
    return DispatchRule.objects.select_related("department", "category").order_by("position", "id")


@transaction.atomic
def save_rule(actor, rule_id=None, **changes):
    require(actor, "routing.change_dispatchrule" if rule_id else "routing.add_dispatchrule")
    rule = get_or_404(DispatchRule, rule_id, lock=True) if rule_id else DispatchRule()
    return _save_config(actor, rule, _any_as_blank({k: v for k, v in changes.items() if k in RULE_FIELDS}))


@transaction.atomic
def delete_rule(actor, rule_id):
    require(actor, "routing.delete_dispatchrule")
    rule = get_or_404(DispatchRule, rule_id, lock=True)
    audit.record(actor, "delete", rule, fields=["name"])
    rule.delete()


def list_skills(actor):
    require(actor, "routing.view_skill")
    return Skill.objects.prefetch_related("categories", "members").order_by("code")


@transaction.atomic
def save_skill(actor, skill_id=None, *, category_ids=None, member_ids=None, **changes):
    require(actor, "routing.change_skill" if skill_id else "routing.add_skill")
    skill = _save_config(actor, get_or_404(Skill, skill_id, lock=True) if skill_id else Skill(),
                         _any_as_blank({k: v for k, v in changes.items() if k in SKILL_FIELDS}))
    for field, ids, model in (("category_ids", category_ids, Category), ("member_ids", member_ids, User)):
        if ids is None:
            continue
        found = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
        if unknown := set(ids) - found:
            raise ValidationFailed(_("The input is invalid."), fields={field: _("no such id: %(ids)s") % {"ids": sorted(unknown)}})
        (skill.categories if field == "category_ids" else skill.members).set(found)
    return skill


@transaction.atomic
def configure_department(actor, department_id, **changes):
    """A department's tier, next tier, assignment strategy and offline policy."""
    require(actor, "staff.change_department")
    department = get_or_404(Department, department_id, lock=True)
    changes = {k: v for k, v in changes.items() if k in DEPARTMENT_FIELDS}
    if changes.get("escalates_to_id") == department.pk:
        raise ValidationFailed(_("The input is invalid."), fields={"escalates_to_id": _("cannot be the department itself")})
    return _save_config(actor, department, changes)


CHOICE_CRITERIA = {"kind", "severity", "channel", "segment"}


def _any_as_blank(changes: dict) -> dict:
    """A criterion given as None means "any", which the models store as an empty string."""
    return {k: "" if v is None and k in CHOICE_CRITERIA else v for k, v in changes.items()}


def _save_config(actor, obj, changes: dict):
    """Validated as the admin would, saved, and audited with the fields that changed."""
    creating = obj.pk is None
    changed = save_checked(obj, changes)
    if changed:
        audit.record(actor, "create" if creating else "update", obj, fields=changed)
    return obj
