"""Customer lookup finds what agents type: full-width digits, country codes, separators,
punctuation pasted around a name, part of a company's name (kefu.core.text)."""

import pytest

from kefu.core import text
from kefu.customers import services
from tests.conftest import resident_id


@pytest.fixture
def zhang(agent):
    c = services.create_customer(agent, name="张国庆", id_number=resident_id(731), phone="15608638784", province="广东", city="广州")
    services.create_subscription(agent, customer_id=c.pk, service_number="13926001234", product="mobile", opened_on="2024-01-01")
    return c


@pytest.fixture
def hengtong(agent):
    return services.create_customer(agent, type="enterprise", name="广州恒通物流有限公司", id_type="business_licence",
                                    id_number="91440101MA5CXXXX1", phone="02087654321", province="广东", city="广州")


def _found(user, q):
    return [c.pk for c in services.search_customers(user, q=q)]


@pytest.mark.parametrize("typed", ["15608638784", "１５６０８６３８７８４", "+8615608638784", "+86 156 0863 8784", "86-156-0863-8784",
                                   "0086 15608638784", "156-0863-8784", " 156 0863 8784 ", "＋８６　１５６０８６３８７８４"])
def test_a_phone_number_is_found_as_people_type_it(agent, zhang, typed):
    assert _found(agent, typed) == [zhang.pk]


@pytest.mark.parametrize("typed", ["13926001234", "１３９２６００１２３４", "+86 139-2600-1234"])
def test_a_service_number_is_found_as_people_type_it(agent, zhang, typed):
    assert _found(agent, typed) == [zhang.pk]


@pytest.mark.parametrize("typed", ["张国庆", "张国庆，", "“张国庆”", "「张国庆」", " 张国庆。", "张国"])
def test_a_name_is_found_without_the_punctuation_around_it(agent, zhang, typed):
    assert _found(agent, typed) == [zhang.pk]


@pytest.mark.parametrize("typed", ["恒通", "恒通物流", "广州恒通", "“恒通”"])
def test_an_enterprise_is_found_by_part_of_its_name(agent, zhang, hengtong, typed):
    assert _found(agent, typed) == [hengtong.pk]


def test_a_person_is_not_found_by_the_middle_of_the_name(agent, zhang):
    # Personal names match from the start (the surname) only: "国庆" is too common a given name.
    assert _found(agent, "国庆") == []


def test_an_id_number_and_a_customer_number_as_typed(agent, zhang):
    assert _found(agent, resident_id(731).lower()) == [zhang.pk]
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in resident_id(731))
    assert _found(agent, full_width) == [zhang.pk]
    assert _found(agent, zhang.customer_no.lower()) == [zhang.pk]
    assert _found(agent, f"“{zhang.customer_no}”") == [zhang.pk]


def test_punctuation_alone_finds_nobody(agent, zhang):
    assert _found(agent, "，。") == []


def test_the_workbench_lookup_page_finds_a_full_width_number(client, agent, zhang):
    client.force_login(agent)
    r = client.get("/customers/", {"q": "+86 １５６-０８６３-８７８４"})
    assert r.status_code == 200
    assert zhang.customer_no in r.content.decode()


@pytest.mark.parametrize(("typed", "stored"), [("＋８６ １５６ ０８６３ ８７８４", "15608638784"), ("86-15608638784", "15608638784"),
                                               ("020-8765 4321", "02087654321"), ("（020）87654321", "02087654321")])
def test_phone_digits(typed, stored):
    assert text.phone_digits(typed) == stored


def test_lookup_term_keeps_what_is_inside():
    assert text.lookup_term("  “张 国庆”，  ") == "张 国庆"
    assert text.lookup_term("+8615608638784") == "+8615608638784"
    assert text.lookup_term("【】") == ""


def test_subscriptions_by_a_service_number_as_typed(agent, zhang):
    found = services.search_subscriptions(agent, service_number="+86 １３９-２６００-１２３４")
    assert [s.service_number for s in found] == ["13926001234"]
