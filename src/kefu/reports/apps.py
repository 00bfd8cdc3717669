from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "kefu.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from kefu.cti import events as call_events
        from kefu.orders import events

        from . import rollups

        # The rollups follow the orders once their events have committed: a rollup never
        # blocks or rolls back an order, and a failure only delays the figures.
        events.subscribe_after(rollups.CONSUMER, rollups.on_order_events)
        # And the calls, as soon as a call event has committed (the wallboard's figures of today);
        # the worker's watermark catches up whatever this misses.
        call_events.subscribe(rollups.on_calls)
