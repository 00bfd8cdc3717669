from django.contrib import admin

from kefu.core.admin import ReadOnlyAdmin

from .models import Exam, ExamAssignment, Question


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdmin):
    """Read here; kept on the question bank's page (/training/questions/), where it is checked."""

    list_display = ["text", "kind", "topic", "article", "is_active"]
    list_filter = ["kind", "topic", "is_active"]


@admin.register(Exam)
class ExamAdmin(ReadOnlyAdmin):
    list_display = ["title", "status", "pass_mark", "time_limit_minutes", "created_at"]
    list_filter = ["status"]


@admin.register(ExamAssignment)
class ExamAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["exam", "person", "due_at", "status", "score", "passed", "submitted_at"]
    list_filter = ["status", "exam"]
