from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "kefu.followup"
    verbose_name = _("Follow-up calls")

    def ready(self):
        from kefu.orders import events, extensions

        from . import services

        # Tasks are made once the order's events have committed: a follow-up rule never blocks
        # or rolls back an order. history=False: a new installation does not call back the
        # customers of every order resolved before it existed.
        events.subscribe_after(services.CONSUMER, services.on_order_events, history=False)
        # A survey answered with a low score (KEFU_SURVEY_LOW_SCORE_ACTIONS "followup") asks for
        # a call: surveys sends the signal, as it may not import this app (decision 0030).
        from kefu.surveys import signals

        signals.low_score.connect(services.on_low_score, dispatch_uid="followup.on_low_score")
        # The kinds of KEFU_FOLLOWUP_BEFORE_CLOSE are archived only after their follow-up's outcome.
        extensions.guards_close(services.CONSUMER, services.close_refusal)
