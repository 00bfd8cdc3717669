"""First-contact responsibility: the owner hears of customer-visible changes others make."""

from kefu.notifications.models import Notification
from kefu.orders import services


def test_owner_is_told_of_replies_and_resolution_by_others(order, agent, handler):
    services.accept(agent, order.pk)
    services.assign(agent, order.pk, handler_id=handler.pk)  # the handler hears of it (tests/sla/test_notifications.py)
    Notification.objects.all().delete()
    services.start(handler, order.pk)
    services.add_comment(handler, order.pk, note="内部记录：需查计费日志")  # internal: nobody told
    assert not Notification.objects.exists()
    services.wait_for_customer(handler, order.pk, reason="请提供话费清单")  # customer-visible
    services.resume(handler, order.pk)
    services.resolve(handler, order.pk, resolution="已退费")
    messages = list(Notification.objects.filter(recipient=agent).order_by("id").values_list("message", flat=True))
    assert len(messages) == 2 and order.number in messages[-1] and "resolved" in messages[-1]
    assert not Notification.objects.exclude(recipient=agent).exists()


def test_owner_is_not_told_of_own_actions(order, agent):
    services.add_comment(agent, order.pk, note="已致电客户说明进度", visibility="customer")
    assert not Notification.objects.exists()
