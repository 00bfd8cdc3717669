"""Questionnaires are drafted and published through surveys.services (versions, audit): the
admin lists them and their answers, read-only."""

from django.contrib import admin

from kefu.core.admin import ReadOnlyAdmin as ReadOnly

from .models import Answer, Instrument, Invitation, OptOut, Question


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
    raw_id_fields = ["customer", "order"]
    exclude = ["token"]  # the link's secret


@admin.register(Answer)
class AnswerAdmin(ReadOnly):
    list_display = ["invitation", "question", "score", "choices", "text"]


@admin.register(OptOut)
class OptOutAdmin(ReadOnly):
    list_display = ["customer", "channel", "at", "recorded_by", "withdrawn_at"]
    list_filter = ["channel"]
    raw_id_fields = ["customer"]
