"""Repeat complaints: same customer, same service, inside the window → linked, counted, raised."""

from datetime import timedelta
from unittest import mock

from django.utils import timezone

from kefu.orders import services
from kefu.orders.models import OrderLink


def _complaint(agent, customer, subscription=None, **kw):
    return services.create_order(agent, kind="complaint", title="又乱扣费了", customer_id=customer.pk,
                                 subscription_id=subscription.pk if subscription else None, channel="hotline", **kw)


def test_second_complaint_is_linked_counted_and_raised(agent, customer, subscription):
    first = _complaint(agent, customer, subscription)
    second = _complaint(agent, customer, subscription)
    third = _complaint(agent, customer, subscription)
    assert (first.repeat_count, second.repeat_count, third.repeat_count) == (0, 1, 2)
    assert (first.severity, second.severity, third.severity) == ("general", "urgent", "major")
    assert OrderLink.objects.filter(source=second, target=first, type="repeat").exists()
    created = second.events.get(action="create")
    assert created.data["repeat_of"] == first.number and created.data["severity_asked"] == "general"


def test_other_services_kinds_and_old_complaints_do_not_count(agent, customer, subscription, settings):
    from kefu.customers import services as cs

    other = cs.create_subscription(agent, customer_id=customer.pk, service_number="ad0201234567", product="broadband",
                                   opened_on="2024-01-01")
    _complaint(agent, customer, subscription)
    assert _complaint(agent, customer, other).repeat_count == 0
    assert services.create_order(agent, kind="fault", title="又断网", customer_id=customer.pk, subscription_id=subscription.pk,
                                 channel="hotline").repeat_count == 0
    later = timezone.now() + timedelta(days=settings.KEFU_REPEAT_COMPLAINT_DAYS + 1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert _complaint(agent, customer, subscription).repeat_count == 0


def test_window_zero_turns_it_off(agent, customer, subscription, settings):
    settings.KEFU_REPEAT_COMPLAINT_DAYS = 0
    _complaint(agent, customer, subscription)
    assert _complaint(agent, customer, subscription).repeat_count == 0


def _category(code):
    from kefu.orders.models import Category

    return Category.objects.get(code=code)


def test_with_a_service_named_the_event_says_it_was_the_same_service(agent, customer, subscription):
    _complaint(agent, customer, subscription)
    second = _complaint(agent, customer, subscription)
    assert second.events.get(action="create").data["repeat_because"] == {"same": "service", "subscription_id": subscription.pk}


def test_without_a_service_an_unrelated_complaint_is_no_repeat(agent, customer, subscription):
    """The README's example: a billing complaint naming no service is not a repeat of the
    customer's installation complaint, and keeps the severity asked for."""
    installation = _complaint(agent, customer, subscription, category_id=_category("cmp-service-efficiency").pk)
    billing = services.create_order(agent, kind="complaint", title="本月话费多扣20元", customer_id=customer.pk, channel="hotline")
    assert (billing.repeat_count, billing.severity) == (0, "general")
    assert not OrderLink.objects.filter(source=billing, target=installation).exists()
    assert "repeat_of" not in billing.events.get(action="create").data


def test_without_a_service_the_same_category_family_is_a_repeat(agent, customer, subscription):
    earlier = _complaint(agent, customer, subscription, category_id=_category("cmp-billing-wrong").pk)
    _complaint(agent, customer, category_id=_category("cmp-quality-signal").pk)  # another family: not this one
    again = _complaint(agent, customer, category_id=_category("cmp-billing-high").pk)
    assert (again.repeat_count, again.severity) == (1, "urgent")
    assert OrderLink.objects.filter(source=again, target=earlier, type="repeat").exists()
    family = _category("cmp-billing")
    assert again.events.get(action="create").data["repeat_because"] == {"same": "category_family", "category_id": family.pk,
                                                                        "category": family.name}
    assert _complaint(agent, customer, category_id=_category("cmp-communication").pk).repeat_count == 0
