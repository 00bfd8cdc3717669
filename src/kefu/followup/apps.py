from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "kefu.followup"
    verbose_name = _("Follow-up calls")

    def ready(self):
        from kefu.orders import events

        from . import services

        # Tasks are made once the order's events have committed: a follow-up rule never blocks
        # or rolls back an order. history=False: a new installation does not call back the
        # customers of every order resolved before it existed.
        events.subscribe_after(services.CONSUMER, services.on_order_events, history=False)
