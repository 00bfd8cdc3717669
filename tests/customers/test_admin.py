from kefu.audit.models import AuditEntry


def test_admin_shows_identity_only_with_permission_and_a_reason_and_audits_it(client, customer, make_user):
    admin_user = make_user("administrator")
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    url = f"/admin/customers/customer/{customer.pk}/change/"
    page = client.get(url).content.decode()
    assert customer.id_number not in page and "reveal_reason" in page  # hidden, and says how to reveal
    assert "complaint" in page and "other" in page  # the reasons to choose from
    for refused in ("?reveal_reason=correct+the+address", "?reveal_reason=other", "?reveal_reason=other&reveal_note=ab"):
        page = client.get(url + refused).content.decode()  # free text, or "other" without an explanation
        assert customer.id_number not in page and customer.phone not in page and 'class="error"' in page, refused
    assert not AuditEntry.objects.filter(action="read_identity").exists()
    page = client.get(url + "?reveal_reason=other&reveal_note=correct+the+address").content.decode()
    assert customer.id_number in page and customer.phone in page  # the phone in the form and as the mobile line
    entry = AuditEntry.objects.get(action="read_identity")
    assert (entry.actor, entry.object_id, entry.reason) == (admin_user, str(customer.pk), "[other] admin: correct the address")
    assert {"email", "service_number"} <= set(entry.fields)
    listing = client.get("/admin/customers/customer/").content.decode()
    assert customer.phone not in listing and customer.phone[-4:] in listing


def test_admin_masks_service_numbers_and_emails_unless_revealed(client, customer, subscription, make_user):
    from kefu.customers.models import Customer

    Customer.objects.filter(pk=customer.pk).update(email=f"{customer.phone}@139.com")
    admin_user = make_user("administrator")
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    masked = customer.phone[:3] + "****" + customer.phone[-4:]
    for url in ("/admin/customers/subscription/", f"/admin/customers/subscription/{subscription.pk}/change/",
                f"/admin/customers/customer/{customer.pk}/change/"):
        page = client.get(url).content.decode()
        assert customer.phone not in page and masked in page, url
    page = client.get(f"/admin/customers/subscription/{subscription.pk}/change/?reveal_reason=complaint").content.decode()
    assert customer.phone in page
    entry = AuditEntry.objects.get(action="read_identity")
    assert (entry.object_type, entry.reason, entry.fields) == ("customers.subscription", "[complaint] admin", ["service_number"])


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


def test_admin_saves_a_masked_customer_without_touching_hidden_fields(client, customer, subscription, make_user):
    from kefu.customers.models import Customer

    admin_user = make_user("administrator")
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    url = f"/admin/customers/customer/{customer.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data |= {"segment": "vip", "subscriptions-TOTAL_FORMS": "1", "subscriptions-INITIAL_FORMS": "1",
             "subscriptions-0-id": subscription.pk, "subscriptions-0-customer": customer.pk, "subscriptions-0-product": "mobile",
             "subscriptions-0-plan": "5G 畅享", "subscriptions-0-status": "active", "subscriptions-0-opened_on": "2024-01-01"}
    assert client.post(url, data).status_code == 302
    saved = Customer.objects.get(pk=customer.pk)
    subscription.refresh_from_db()
    assert (saved.segment, saved.phone, saved.id_number) == ("vip", customer.phone, customer.id_number)
    assert (subscription.plan, subscription.service_number) == ("5G 畅享", customer.phone)


def test_administrators_keep_the_reveal_reasons(client, make_user):
    from kefu.customers.models import RevealReason

    admin_user = make_user("administrator")
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    assert "投诉调查" in client.get("/admin/customers/revealreason/").content.decode()
    r = client.post("/admin/customers/revealreason/add/", {"code": "fraud", "name": "反诈核查", "sort_order": 5, "is_active": "on"})
    assert r.status_code == 302 and RevealReason.objects.get(code="fraud").is_active
    other = RevealReason.objects.get(code="other")
    page = client.get(f"/admin/customers/revealreason/{other.pk}/change/").content.decode()
    assert 'name="code"' not in page  # codes are stable: audit entries carry them
    assert client.get(f"/admin/customers/revealreason/{other.pk}/delete/").status_code == 403
