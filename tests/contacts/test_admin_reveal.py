"""The caller's number in the contacts admin follows the identity reveal rule: hidden unless a
reason from the list is given in the address, and each reveal audited with its code."""

from kefu.audit.models import AuditEntry
from kefu.contacts import services


def test_the_caller_s_number_needs_a_reason_in_the_admin(client, make_user, customer):
    from kefu.staff import roles

    supervisor = make_user(roles.SUPERVISOR, "front-office")
    supervisor.is_staff = True
    supervisor.save()
    contact = services.open_contact(supervisor, channel="hotline", customer_id=customer.pk, caller="13912345678")
    client.force_login(supervisor)
    url = f"/admin/contacts/contact/{contact.pk}/change/"

    page = client.get(url).content.decode()
    assert "13912345678" not in page and "reveal_reason" in page
    assert not AuditEntry.objects.filter(action="read_identity", object_id=str(contact.pk)).exists()

    page = client.get(url + "?reveal_reason=complaint&reveal_note=投诉调查").content.decode()
    assert "13912345678" in page
    entry = AuditEntry.objects.get(action="read_identity", object_id=str(contact.pk))
    assert entry.reason.startswith("[complaint]") and entry.fields == ["caller"]

    assert "13912345678" not in client.get(url + "?reveal_reason=abcd").content.decode()
