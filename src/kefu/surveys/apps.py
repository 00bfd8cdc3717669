from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "kefu.surveys"
    verbose_name = _("Satisfaction surveys")

    def ready(self):
        from kefu.orders import events

        from . import services

        # Customers are asked once the resolution has committed; history=False: a new
        # installation does not text the customers of every order resolved before it.
        events.subscribe_after(services.CONSUMER, services.on_order_events, history=False)
        # A score given at resolution is stored as the post-resolution questionnaire's answer
        # with the order's own transaction.
        events.subscribe(services.on_order_transaction, phase=events.TRANSACTION)
