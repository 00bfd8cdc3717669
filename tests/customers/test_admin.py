from kefu.audit.models import AuditEntry


def test_admin_shows_identity_only_with_permission_and_a_reason_and_audits_it(client, customer, make_user):
    admin_user = make_user("administrator")
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    url = f"/admin/customers/customer/{customer.pk}/change/"
    page = client.get(url).content.decode()
    assert customer.id_number not in page and "reveal_reason" in page  # hidden, and says how to reveal
    assert client.get(url + "?reveal_reason=ab").content.decode().count(customer.id_number) == 0  # too short
    assert not AuditEntry.objects.filter(action="read_identity").exists()
    page = client.get(url + "?reveal_reason=correct+the+address").content.decode()
    assert customer.id_number in page
    entry = AuditEntry.objects.get(action="read_identity")
    assert (entry.actor, entry.object_id, entry.reason) == (admin_user, str(customer.pk), "admin: correct the address")
    listing = client.get("/admin/customers/customer/").content.decode()
    assert customer.phone not in listing and customer.phone[-4:] in listing


def test_admin_hides_identity_without_permission(client, customer, make_user):
    from django.contrib.auth.models import Permission

    clerk = make_user("auditor")
    clerk.is_staff = True
    clerk.save()
    clerk.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(clerk)
    page = client.get(f"/admin/customers/customer/{customer.pk}/change/").content.decode()
    # (the phone may still show as a subscription's service number, which is not identity data)
    assert customer.id_number not in page and "field-phone" not in page and "field-id_number" not in page
    assert not AuditEntry.objects.filter(action="read_identity").exists()
