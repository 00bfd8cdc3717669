"""Questionnaires are drafted and published through surveys.services (versions, audit): the
admin lists them and their answers, read-only."""

from django.contrib import admin

from kefu.core.admin import ReadOnlyAdmin as ReadOnly

from .models import Answer, Instrument, Invitation, OptOut, Question, ShopperVisit, SurveyWave


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    can_delete = False
    fields = ["position", "type", "text", "dimension", "options", "required"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Instrument)
class InstrumentAdmin(ReadOnly):
    list_display = ["title", "purpose", "version", "status", "published_at"]
    list_filter = ["purpose", "status"]
    inlines = [QuestionInline]


@admin.register(Invitation)
class InvitationAdmin(ReadOnly):
    list_display = ["instrument", "customer", "order", "channel", "status", "created_at", "expires_at", "answered_at"]
    list_filter = ["status", "channel"]
    raw_id_fields = ["customer", "order", "wave"]
    exclude = ["token"]  # the link's secret


@admin.register(Answer)
class AnswerAdmin(ReadOnly):
    list_display = ["invitation", "question", "score", "choices", "text"]


@admin.register(OptOut)
class OptOutAdmin(ReadOnly):
    list_display = ["customer", "channel", "at", "recorded_by", "withdrawn_at"]
    list_filter = ["channel"]
    raw_id_fields = ["customer"]


@admin.register(SurveyWave)
class SurveyWaveAdmin(ReadOnly):
    """Waves are made by `kefu surveys wave` or the API (surveys.services.create_wave)."""

    list_display = ["quarter", "instrument", "size", "population", "invited", "skipped", "created_at", "sent_at"]
    list_filter = ["quarter"]
    exclude = ["sample"]  # the sampled customers' ids: thousands of numbers


@admin.register(ShopperVisit)
class ShopperVisitAdmin(ReadOnly):
    """Visits are recorded on the survey pages or through the API (surveys.services.record_visit)."""

    list_display = ["visited_at", "target_kind", "target_name", "agent", "evaluator"]
    list_filter = ["target_kind"]
    raw_id_fields = ["invitation"]
