"""What surveys tell the apps that act on answers, without importing them (decision 0030).

`low_score`: a survey about an order was answered with a low score (its overall score or a
dimension's below KEFU_SATISFIED_THRESHOLD, on any channel but the scores mirrored from the
resolution) and KEFU_SURVEY_LOW_SCORE_ACTIONS names "followup". Sent inside the answer's
transaction with `invitation` (the answered Invitation), `scores` ({dimension: score}, the low
ones) and `at` (when it was answered). The follow-up app connects to it in its `ready()` and
makes a follow-up task: followup imports surveys (refusals), so surveys never imports followup.
"""

from django.dispatch import Signal

low_score = Signal()
