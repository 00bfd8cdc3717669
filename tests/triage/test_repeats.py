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
