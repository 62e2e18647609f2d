"""The exam catalog in the operators' console (Django admin).

Exams list their questions; a question is edited on its own page with its
choices. Once an exam has been taken, its questions and choices are read-only
here, as in the JSON import (exams/catalog.py): content already used in
attempts must not change under them.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from exams.catalog import MAX_CHOICES, MIN_CHOICES
from exams.item_analysis_console import ItemAnalysisConsole
from exams.models import Choice, Exam, Question


def _is_used(exam: Exam | None) -> bool:
    return exam is not None and exam.attempts.exists()


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


class ChoiceFormSet(BaseInlineFormSet):
    """The rules of the import format: 2–8 choices, exactly one correct, no text twice."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [form.cleaned_data for form in self.forms if form.cleaned_data and not self._should_delete_form(form)]
        if not MIN_CHOICES <= len(kept) <= MAX_CHOICES:
            raise ValidationError(
                _("A question needs %(min)d to %(max)d choices.") % {"min": MIN_CHOICES, "max": MAX_CHOICES}
            )
        if sum(bool(choice.get("is_correct")) for choice in kept) != 1:
            raise ValidationError(_("Exactly one choice must be correct."))
        texts = [choice["text"].strip() for choice in kept]
        if len(set(texts)) < len(texts):
            raise ValidationError(_("Two choices have the same text."))


class ChoiceInline(admin.TabularInline):
    model = Choice
    formset = ChoiceFormSet
    fields = ["position", "text", "is_correct"]
    extra = 0

    def get_extra(self, request, obj=None, **kwargs):
        return 4 if obj is None else 0

    def has_add_permission(self, request, obj=None):
        return not _is_used(obj and obj.exam) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _is_used(obj and obj.exam) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _is_used(obj and obj.exam) and super().has_delete_permission(request, obj)


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "prompt", "position"]
    list_filter = ["exam"]
    search_fields = ["key", "prompt", "exam__code"]
    list_select_related = ["exam"]
    fields = ["exam", "key", "position", "passage", "prompt"]
    inlines = [ChoiceInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "exam":
            # A question may only be added to (or moved into) an exam nobody has taken yet.
            kwargs["queryset"] = Exam.objects.filter(attempts__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return not _is_used(obj and obj.exam) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _is_used(obj and obj.exam) and super().has_delete_permission(request, obj)
