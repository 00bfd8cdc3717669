from io import StringIO

import pytest
from django.contrib.auth.models import Group

from kefu.staff import roles
from kefu.staff.models import ApiToken


def test_every_role_exists_after_migrate(db):
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLE_PERMISSIONS)


def test_role_matrix(make_user):
    expect = {
        roles.AGENT: {"orders.accept_workorder": True, "orders.manage_any_workorder": False, "customers.view_identity": True},
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


def test_token_scopes_expiry_and_revocation(agent, customer, api_client, client):
    import json
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    def call(raw, method, path, data=None):
        kw = {"headers": {"Authorization": f"Bearer {raw}"}}
        if data is not None:
            kw |= {"data": json.dumps(data), "content_type": "application/json"}
        return getattr(client, method)("/api/v1" + path, **kw)

    _t, read_only = ApiToken.issue(agent, "report", scopes=["read"])
    assert call(read_only, "get", f"/customers/{customer.pk}").status_code == 200
    assert call(read_only, "post", "/contacts", {"channel": "hotline", "customer_id": customer.pk}).status_code == 403
    _t, full = ApiToken.issue(agent, "desk")
    assert call(full, "post", "/contacts", {"channel": "hotline", "customer_id": customer.pk}).status_code == 201
    token, short = ApiToken.issue(agent, "short", days=1)
    assert token.expires_at - timezone.now() < timedelta(days=1, minutes=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert call(short, "get", "/me").status_code == 401
    call_command("token", "--revoke", full[:12], stdout=StringIO())
    assert call(full, "get", "/me").status_code == 401
    with pytest.raises(ValueError):
        ApiToken.issue(agent, scopes=["everything"])


def test_identity_needs_the_identity_scope(make_user, customer, client):
    coordinator = make_user(roles.COORDINATOR, "complaints")
    _t, without = ApiToken.issue(coordinator, scopes=["read", "write"])
    _t, with_identity = ApiToken.issue(coordinator, scopes=["read", "identity"])
    headers = lambda raw: {"Authorization": f"Bearer {raw}"}  # noqa: E731
    assert client.get(f"/api/v1/customers/{customer.pk}/identity", headers=headers(without)).status_code == 403
    assert client.get(f"/api/v1/customers/{customer.pk}/identity?reason_code=complaint&reason=dispute+review", headers=headers(with_identity)).status_code == 200


def test_superuser_tokens_cannot_be_narrowed(db):
    from kefu.staff.models import User

    root = User.objects.create_superuser("root", password="pw")
    with pytest.raises(ValueError):
        ApiToken.issue(root, scopes=["read"])
