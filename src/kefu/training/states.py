"""The lives of a test and of its assignment as data (applied through kefu.core.transitions).

A test is edited while a draft, published to be assigned and taken, closed when done. An
assignment is started and submitted once by its person while it is to be taken; the due date
passing first expires it (services.expire_overdue, or a late submission)."""

from django.utils.translation import gettext_lazy as _

from kefu.core.transitions import transition

from .models import Exam, ExamAssignment

E = Exam.Status
A = ExamAssignment.Status
BUILD = "training.change_exam"
TAKE = "training.take_exam"

EXAM_TRANSITIONS = {
    "edit": transition([E.DRAFT], None, BUILD, refusals={E.PUBLISHED: _("A published test is no longer edited.")}),
    "publish": transition([E.DRAFT], E.PUBLISHED, BUILD, refusals={E.PUBLISHED: _("The test is published already.")}),
    "close": transition([E.PUBLISHED], E.CLOSED, BUILD, refusals={E.DRAFT: _("Only a published test is closed.")}),
}
EXAM_REFUSALS = {E.CLOSED: _("The test is closed.")}

ASSIGNMENT_TRANSITIONS = {
    "start": transition([A.ASSIGNED], None, TAKE),
    "submit": transition([A.ASSIGNED], A.SUBMITTED, TAKE),
}
ASSIGNMENT_REFUSALS = {
    A.SUBMITTED: _("You have taken this test already: it is taken once."),
    A.EXPIRED: _("The due date of this test has passed."),
}
