from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "kefu.sla"
    label = "sla"
    verbose_name = _("Service time limits")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from kefu.core import recent
        from kefu.orders import events, extensions
        from kefu.orders.models import Category

        from . import calendars, services
        from .models import Calendar, CalendarDay, SlaPolicy, SlaTarget

        # A changed calendar or day retires the cached calculator for that calendar.
        for model in (Calendar, CalendarDay):
            post_save.connect(calendars.new_revision_for, sender=model, dispatch_uid=f"sla-cal-save-{model.__name__}")
            post_delete.connect(calendars.new_revision_for, sender=model, dispatch_uid=f"sla-cal-del-{model.__name__}")
        recent.connect_forget("sla", SlaPolicy, SlaTarget, Category, Calendar, CalendarDay)
        # The clocks follow every order event in the transaction that wrote it (orders.events).
        events.subscribe(services.on_order_events, phase=events.TRANSACTION)
        # An order's detail shows its time limits; the order list filters by them (orders.extensions).
        extensions.adds_detail("sla", services.sla_state)
        extensions.filters_list("breached", _breached)
        extensions.filters_list("due_within", _due_within)


def _breached(breached: bool):
    from .services import breached_order_ids

    late = breached_order_ids()
    return (late, None) if breached else (None, late)


def _due_within(minutes: int):
    from .services import due_within_order_ids

    return (due_within_order_ids(minutes), None) if minutes else (None, None)
