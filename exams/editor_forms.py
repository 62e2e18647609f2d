"""The editor's forms (docs/design.md §3, "The editor"): what an author typed, read back from a POST.

The limits are the import's (exams/catalog.py) and the services check them again (exams/versions.py):
these forms only turn the fields into values and keep what was typed when a save is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.utils.translation import gettext_lazy as _

from exams.catalog import (
    DESCRIPTION_MAX_LENGTH,
    MAX_QUESTIONS_PER_ATTEMPT,
    PASS_MARK_RANGE,
    PASSAGE_MAX_LENGTH,
    TIME_LIMIT_RANGE,
    TITLE_MAX_LENGTH,
)
from exams.models import Question

FURIGANA_HELP = _("Furigana: ｜漢字《かんじ》 (the bar marks where the word starts; 漢字《かんじ》 alone also works).")


class ExamSettingsForm(forms.Form):
    """A test's settings: on the new-test form and the draft's settings form."""

    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_LENGTH, help_text=FURIGANA_HELP)
    description = forms.CharField(
        label=_("Instructions"),
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to pupils before the test starts."),
    )
    time_limit_minutes = forms.IntegerField(
        label=_("Time limit (minutes)"), min_value=TIME_LIMIT_RANGE[0], max_value=TIME_LIMIT_RANGE[1]
    )
    pass_mark_percent = forms.IntegerField(
        label=_("Pass mark (%)"), min_value=PASS_MARK_RANGE[0], max_value=PASS_MARK_RANGE[1]
    )
    questions_per_attempt = forms.IntegerField(
        label=_("Questions drawn for each pupil"),
        min_value=1,
        max_value=MAX_QUESTIONS_PER_ATTEMPT,
        help_text=_("Each pupil gets this many questions, drawn at random; a passage comes with all its questions."),
    )


class PassageForm(forms.Form):
    title = forms.CharField(label=_("Passage title"), max_length=TITLE_MAX_LENGTH, required=False)
    text = forms.CharField(
        label=_("Passage text"),
        max_length=PASSAGE_MAX_LENGTH,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=FURIGANA_HELP,
    )


class NewQuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Question type"), choices=Question.Kind.choices)


@dataclass
class QuestionDraft:
    """A question as the author typed it: from the database, or from a POST when a save was refused."""

    prompt: str
    passage_id: int | None
    rows: list[tuple[str, bool]]  # choices (text, correct), or an ordering's items in their right order
    accepted: str  # one accepted answer a line
    credit: str
    error: str = ""
    extra: dict = field(default_factory=dict)

    @classmethod
    def of(cls, question: Question) -> QuestionDraft:
        return cls(
            prompt=question.prompt,
            passage_id=question.group_id,
            rows=[(choice.text, choice.is_correct) for choice in question.choices.all()],
            accepted="\n".join(question.accepted_answers),
            credit=question.credit,
        )

    @classmethod
    def from_post(cls, question: Question, data) -> QuestionDraft:
        texts = data.getlist("choice_text")
        correct = set(data.getlist("correct"))
        passage = data.get("passage", "")
        return cls(
            prompt=data.get("prompt", ""),
            passage_id=int(passage) if passage.isdigit() else None,
            rows=[(text, str(index) in correct) for index, text in enumerate(texts)],
            accepted=data.get("accepted", ""),
            credit=data.get("credit", question.credit),
        )

    def apply(self, operation: str) -> None:
        """A change of the rows asked by a button: add, remove-N, up-N, down-N (anything else: none)."""
        name, _dash, number = operation.partition("-")
        index = int(number) if number.isdigit() else -1
        if name == "add":
            self.rows.append(("", False))
        elif name == "remove" and 0 <= index < len(self.rows):
            del self.rows[index]
        elif name in ("up", "down"):
            other = index - 1 if name == "up" else index + 1
            if 0 <= index < len(self.rows) and 0 <= other < len(self.rows):
                self.rows[index], self.rows[other] = self.rows[other], self.rows[index]

    @property
    def accepted_list(self) -> list[str]:
        return self.accepted.splitlines()


def _badge_text(label) -> forms.CharField:
    return forms.CharField(label=label, max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class BadgeForm(forms.Form):
    """The badge a school's test awards to pupils who pass (docs/design.md §12), in Japanese and English."""

    badge_enabled = forms.BooleanField(label=_("Award a badge to pupils who pass"), required=False)
    name_ja = forms.CharField(label=_("Badge name (Japanese)"), max_length=200, required=False)
    name_en = forms.CharField(label=_("Badge name (English)"), max_length=200, required=False)
    description_ja = _badge_text(_("What it shows (Japanese)"))
    description_en = _badge_text(_("What it shows (English)"))
    criteria_ja = _badge_text(_("How it is earned (Japanese)"))
    criteria_en = _badge_text(_("How it is earned (English)"))

    def clean(self):
        data = super().clean()
        if data.get("badge_enabled") and not (data.get("name_ja") or "").strip():
            self.add_error("name_ja", _("A badge needs a name."))
        return data
