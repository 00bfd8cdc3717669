from django.contrib.auth.models import Group

from kefu.staff import roles
from kefu.staff.models import ApiToken


def test_every_role_exists_after_migrate(db):
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLE_PERMISSIONS)


def test_role_matrix(make_user):
    expect = {
        roles.AGENT: {"orders.accept_workorder": True, "orders.manage_any_workorder": False, "customers.view_identity": False},
        roles.TECH_SUPPORT: {"orders.accept_workorder": False, "orders.handle_workorder": True, "orders.add_workorder": False},
        roles.COORDINATOR: {"orders.reject_workorder": True, "customers.view_identity": True},
        roles.SUPERVISOR: {"orders.manage_any_workorder": True, "audit.view_auditentry": True},
        roles.AUDITOR: {"audit.view_auditentry": True, "orders.add_workorder": False, "orders.view_workorder": True},
        roles.ADMINISTRATOR: {"orders.manage_any_workorder": True, "staff.add_department": True},
    }
    for role, perms in expect.items():
        user = make_user(role)
        assert {p: user.has_perm(p) for p in perms} == perms, role


def test_tokens_are_stored_hashed(agent):
    token, raw = ApiToken.issue(agent)
    assert raw not in token.digest and ApiToken.authenticate(raw) == agent
    token.revoked_at = token.created_at
    token.save()
    assert ApiToken.authenticate(raw) is None


def test_permission_changes_apply_despite_the_cache(make_user, django_assert_num_queries):
    from kefu.staff.models import User

    user = make_user(roles.AUDITOR)
    assert not user.has_perm("orders.add_workorder")
    fresh = User.objects.get(pk=user.pk)
    with django_assert_num_queries(0):
        assert fresh.has_perm("orders.view_workorder")  # served from the cache
    user.groups.add(Group.objects.get(name=roles.AGENT))
    assert User.objects.get(pk=user.pk).has_perm("orders.add_workorder")
    Group.objects.get(name=roles.AGENT).permissions.clear()
    assert not User.objects.get(pk=user.pk).has_perm("orders.add_workorder")
