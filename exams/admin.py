"""The exam catalog in the operators' console (Django admin).

Exams list their questions; a question's page shows it with its choices,
read-only: tests are written in the editor in the browser (exams/views/editor.py,
linked from the exam's page as "Edit in the browser"), which knows versions and
never changes a published one (docs/design.md §3).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from config.console import ReadOnlyAdmin
from exams.item_analysis_console import ItemAnalysisConsole
from exams.models import Choice, Exam, Question, Regrade


class QuestionInline(admin.TabularInline):
    """A list of the pool; each question is edited on its own page, where its choices are."""

    model = Question
    fields = ["position", "key", "prompt"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Exam)
class ExamAdmin(ItemAnalysisConsole):
    list_display = [
        "title",
        "code",
        "question_count",
        "questions_per_attempt",
        "time_limit_minutes",
        "pass_mark_percent",
        "is_active",
    ]
    list_filter = ["is_active"]
    search_fields = ["title", "code"]
    inlines = [QuestionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(question_count=Count("questions"))

    @admin.display(description=_("questions"), ordering="question_count")
    def question_count(self, exam: Exam) -> int:
        return exam.question_count


class ChoiceInline(admin.TabularInline):
    """Read-only: choices are written in the editor in the browser, version by version (docs/design.md §3)."""

    model = Choice
    fields = ["position", "text", "is_correct"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdmin):
    """Read-only: the console's forms know nothing of versions; questions are written in the editor in the
    browser (`exams:write_exam`, linked from the exam's console page), where a published version never changes.
    """

    list_display = ["__str__", "prompt", "version", "position"]
    list_filter = ["exam"]
    search_fields = ["key", "prompt", "exam__code"]
    list_select_related = ["exam", "version"]
    fields = ["exam", "version", "key", "kind", "position", "group", "prompt", "credit", "accepted_answers"]
    inlines = [ChoiceInline]


@admin.register(Regrade)
class RegradeAdmin(ReadOnlyAdmin):
    """Keys corrected on the operator's published tests, with the reason and the results scored again
    (exams/regrade.py, docs/design.md §3). A school's own corrections stay with the school.
    """

    list_display = ["at", "version", "question", "rescored", "by"]
    list_select_related = ["version", "question__exam", "by"]
    fields = ["version", "question", "by", "at", "reason", "key_before", "key_after", "rescored"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(version__exam__organization__isnull=True)
