from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "kefu.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from kefu.orders import events

        from . import services

        # Who hears of an order event is decided with the event, in its transaction: a
        # notification is never lost nor sent for an order that was rolled back.
        events.subscribe(services.on_order_events, phase=events.TRANSACTION)
