"""Field encryption at rest, blind indexes and key rotation (kefu.core.crypto, kefu.core.keys)."""

import os
import stat
from io import StringIO

import pytest
from cryptography.exceptions import InvalidTag
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from kefu.contacts import services as contacts
from kefu.core import crypto, keys
from kefu.customers import services
from kefu.customers.models import Customer

from ..conftest import TEST_FIELD_KEYS, mobile, resident_id

SECOND_KEY = crypto.new_key_line("t2")


def _raw(customer_id, column="phone"):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM customers_customer WHERE id = %s", [customer_id])
        return cursor.fetchone()[0]


def _make(agent, n, **extra):
    return services.create_customer(agent, name="王小明", id_number=resident_id(n), phone=mobile(n), province="广东",
                                    city="广州", address="广东省广州市天河区天河路385号", **extra)


def test_identity_is_ciphertext_in_the_database_and_plain_in_python(agent):
    c = _make(agent, 501)
    for column, plain in (("phone", mobile(501)), ("id_number", resident_id(501)), ("address", "广东省广州市天河区天河路385号")):
        stored = _raw(c.pk, column)
        assert stored.startswith("enc1:t1:") and plain not in stored
    again = Customer.objects.get(pk=c.pk)
    assert (again.phone, again.id_number) == (mobile(501), resident_id(501))
    assert again.key_id == "t1" and len(again.phone_bidx) == 32 and again.alt_phone == "" and again.alt_phone_bidx == ""


def test_lookup_by_phone_and_id_number_uses_the_blind_index(agent):
    c = _make(agent, 502, alt_phone=mobile(9502))
    _make(agent, 503)
    found = lambda **f: list(services.search_customers(agent, **f).values_list("pk", flat=True))  # noqa: E731
    assert found(phone=mobile(502)) == [c.pk]
    assert found(phone=mobile(9502)) == [c.pk]  # the other phone too
    x = _make(agent, 509)  # an ID number ending in the check character X
    assert resident_id(509).endswith("X") and found(id_number=resident_id(509).lower()) == [x.pk]
    assert found(q=resident_id(502)) == [c.pk]
    assert found(q=mobile(502)) == [c.pk]
    assert found(phone="13900000000") == []
    with pytest.raises(TypeError, match="blind index"):
        Customer.objects.filter(phone=mobile(502)).exists()


def test_a_value_moved_to_another_column_does_not_decrypt(agent):
    c = _make(agent, 504)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE customers_customer SET address = phone WHERE id = %s", [c.pk])
    with pytest.raises(InvalidTag):
        Customer.objects.get(pk=c.pk)


def test_rotation_is_resumable_and_lookups_work_throughout(agent, settings):
    made = [_make(agent, 510 + i) for i in range(5)]
    settings.KEFU_FIELD_KEYS = f"{SECOND_KEY},{TEST_FIELD_KEYS}"
    # Half done: stop after the first batch of two.
    class Stop(Exception):
        pass

    def stop(model, done):
        raise Stop

    with pytest.raises(Stop):
        keys.rotate(Customer, batch_size=2, progress=stop)
    assert keys.status()["customers.Customer"] == {"t2": 2, "t1": 3}
    for c in made:  # old and new rows are both found by their numbers
        assert list(services.search_customers(agent, phone=c.phone).values_list("pk", flat=True)) == [c.pk]
    assert keys.rotate(Customer, batch_size=2) == 3  # resumes with the rows not yet done
    assert keys.status()["customers.Customer"] == {"t2": 5}
    assert all(_raw(c.pk).startswith("enc1:t2:") for c in made)
    settings.KEFU_FIELD_KEYS = SECOND_KEY  # the old key leaves the ring
    assert [Customer.objects.get(pk=c.pk).id_number for c in made] == [c.id_number for c in made]
    assert services.search_customers(agent, phone=made[0].phone).get().pk == made[0].pk


def test_rows_written_before_encryption_are_read_then_encrypted_by_rotation(agent):
    c = _make(agent, 520)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE customers_customer SET phone = %s, key_id = '' WHERE id = %s", [mobile(520), c.pk])
    assert Customer.objects.get(pk=c.pk).phone == mobile(520)
    assert keys.rotate(Customer) == 1
    assert _raw(c.pk).startswith("enc1:t1:")


def test_contacts_caller_is_encrypted(agent, customer):
    k = contacts.open_contact(agent, channel="hotline", customer_id=customer.pk, caller="13812345678")
    with connection.cursor() as cursor:
        cursor.execute("SELECT caller FROM contacts_contact WHERE id = %s", [k.pk])
        assert "13812345678" not in cursor.fetchone()[0]
    assert contacts.get_contact(agent, k.pk).caller == "13812345678"


def test_without_a_key_the_error_says_what_to_do(agent, settings, tmp_path):
    settings.KEFU_FIELD_KEYS = ""
    settings.KEFU_FIELD_KEY_FILE = tmp_path / "none"
    with pytest.raises(ImproperlyConfigured, match="kefu keys init"):
        _make(agent, 530)
    with pytest.raises(ImproperlyConfigured, match="32 bytes"):
        crypto.parse("k1:short")


def test_keys_command_init_add_rotate_status(agent, settings, tmp_path):
    settings.KEFU_FIELD_KEYS = ""
    settings.KEFU_FIELD_KEY_FILE = path = tmp_path / "field-keys"
    out = StringIO()
    call_command("keys", "init", stdout=out)
    assert str(path) in out.getvalue() and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    first = path.read_text()
    call_command("keys", "init", stdout=StringIO())
    assert path.read_text() == first  # never overwritten
    c = _make(agent, 540)
    call_command("keys", "add", "k2", stdout=StringIO())
    assert crypto.ring().current.id == "k2" and [k.id for k in crypto.ring().keys] == ["k2", "k1"]
    out = StringIO()
    call_command("keys", "rotate", "--batch-size", "10", stdout=out)
    assert "1 rows moved to key k2" in out.getvalue()
    out = StringIO()
    call_command("keys", "status", stdout=out)
    assert "customers.Customer: k2: 1" in out.getvalue()
    assert _raw(c.pk).startswith("enc1:k2:")
