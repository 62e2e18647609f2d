"""Correcting a wrong key on a published version (docs/design.md §3): the form, and the service's answer.

For whoever writes the exam (`exams.access.get_question_to_regrade`): a teacher of the school for its
own tests, an operator for the operator's catalog; everyone else 404.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from classrooms.access import role_required
from classrooms.models import User
from config.errors import ServiceError
from config.ratelimits import rate_limit
from exams import regrade as regrades
from exams.access import get_question_to_regrade
from exams.models import Question, Regrade

author_required = role_required(User.Role.TEACHER, User.Role.OPERATOR)


class RegradeForm(forms.Form):
    """The corrected key for the question's kind, and the reason (kept, and shown to teachers)."""

    reason = forms.CharField(
        label=gettext_lazy("Reason for the correction"),
        max_length=Regrade.MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Teachers see it beside the corrected results."),
    )

    def __init__(self, *args, question: Question, choices: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.question, self.choices = question, choices
        options = [(choice.pk, choice.text) for choice in choices]
        kind = question.kind
        if kind == Question.Kind.SINGLE:
            self.fields["correct"] = forms.TypedChoiceField(
                label=_("The correct choice"), choices=options, coerce=int, widget=forms.RadioSelect
            )
            self.initial.setdefault("correct", next((c.pk for c in choices if c.is_correct), None))
        elif kind == Question.Kind.MULTIPLE:
            self.fields["correct"] = forms.TypedMultipleChoiceField(
                label=_("The correct choices"), choices=options, coerce=int, widget=forms.CheckboxSelectMultiple
            )
            self.initial.setdefault("correct", [c.pk for c in choices if c.is_correct])
        elif kind == Question.Kind.SHORT:
            self.fields["accepted"] = forms.CharField(
                label=_("Accepted answers"),
                widget=forms.Textarea(attrs={"rows": 4}),
                help_text=_("One answer a line."),
            )
            self.initial.setdefault("accepted", "\n".join(question.accepted_answers))
        else:
            for place, choice in enumerate(choices, start=1):
                self.fields[f"rank_{choice.pk}"] = forms.IntegerField(
                    label=choice.text, min_value=1, max_value=len(choices), initial=place
                )
        self.order_fields([name for name in self.fields if name != "reason"] + ["reason"])

    @property
    def rank_fields(self):
        return [self[f"rank_{choice.pk}"] for choice in self.choices] if self.question.kind == "ordering" else []

    def clean(self):
        data = super().clean()
        if self.question.kind == Question.Kind.ORDERING and not self.errors:
            ranks = {choice.pk: data[f"rank_{choice.pk}"] for choice in self.choices}
            if sorted(ranks.values()) != list(range(1, len(ranks) + 1)):
                raise forms.ValidationError(_("Number the items 1 to %(count)d, each once.") % {"count": len(ranks)})
            data["order"] = sorted(ranks, key=ranks.get)
        return data

    def key(self) -> dict:
        """The corrected key as `question_regrade` takes it."""
        data, kind = self.cleaned_data, self.question.kind
        if kind == Question.Kind.SHORT:
            return {"accepted": data["accepted"].splitlines()}
        if kind == Question.Kind.ORDERING:
            return {"order": data["order"]}
        correct = data["correct"]
        return {"correct": correct if isinstance(correct, list) else [correct]}


@author_required
@never_cache
@require_http_methods(["GET", "POST"])
@rate_limit("authoring")
def question_regrade(request, exam_id: int, number: int, question_id: int):
    """GET: the question, its key and the corrections so far; POST: correct the key and score again."""
    question = get_question_to_regrade(request.user, exam_id, number, question_id)
    version = question.version
    choices = list(question.choices.order_by("position", "pk"))
    form = RegradeForm(request.POST or None, question=question, choices=choices)
    if request.method == "POST" and form.is_valid():
        try:
            done = regrades.question_regrade(
                question=question, reason=form.cleaned_data["reason"], by=request.user, **form.key()
            )
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            if done is None:
                messages.info(request, _("The key is unchanged: no result was scored again."))
            else:
                messages.success(
                    request,
                    _("The key is corrected and %(count)d results were scored again.") % {"count": done.rescored},
                )
            return redirect("exams:question_regrade", exam_id=exam_id, number=number, question_id=question.pk)
    context = {
        "version": version,
        "question": question,
        "choices": choices,
        "key": regrades.key_summary(question, choices),
        "form": form,
        "regrades": question.regrades.select_related("by"),
    }
    return render(request, "exams/question_regrade.html", context)
