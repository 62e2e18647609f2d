"""The exam catalog, attempts and their answers.

Exam content is confidential: a question reaches an examinee only inside
their running attempt, and which choice is correct never leaves the server.
Choices are shown in a per-attempt order and identified to the browser only
by their position in that order.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Exam(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    time_limit_minutes = models.PositiveSmallIntegerField(
        _("time limit (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    questions_per_attempt = models.PositiveSmallIntegerField(
        _("questions per attempt"), validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    pass_mark_percent = models.PositiveSmallIntegerField(
        _("pass mark (%)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    is_active = models.BooleanField(_("available"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["title"]
        verbose_name = _("exam")
        verbose_name_plural = _("exams")

    def __str__(self) -> str:
        return self.title

    @property
    def time_limit(self) -> datetime.timedelta:
        return datetime.timedelta(minutes=self.time_limit_minutes)

    def passes(self, score: int, total: int) -> bool:
        return total > 0 and score * 100 >= self.pass_mark_percent * total


class Question(models.Model):
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="questions", verbose_name=_("exam"))
    key = models.SlugField(_("key"), max_length=40, help_text=_("Stable id of the question within its exam."))
    passage = models.TextField(_("passage"), blank=True)
    prompt = models.TextField(_("question"))
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["exam", "position"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [models.UniqueConstraint(fields=["exam", "key"], name="question_key_unique_per_exam")]

    def __str__(self) -> str:
        return f"{self.exam.code}/{self.key}"


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices", verbose_name=_("question"))
    text = models.CharField(_("text"), max_length=500)
    is_correct = models.BooleanField(_("correct"), default=False)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["question", "position"]
        verbose_name = _("choice")
        verbose_name_plural = _("choices")

    def __str__(self) -> str:
        return self.text


class Attempt(models.Model):
    """One examinee's sitting of one exam inside one proctored session."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Answering")
        PAUSED = "paused", _("Paused")
        FINISHED = "finished", _("Finished")

    class FinishReason(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        DEADLINE = "deadline", _("Time ran out")
        SESSION_ENDED = "session_ended", _("The proctor ended the test")
        REVOKED = "revoked", _("Result revoked")
        TRANSFERRED = "transferred", _("The examinee left the organization")

    session = models.ForeignKey("proctoring.ProctoredSession", on_delete=models.PROTECT, related_name="attempts")
    examinee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attempts")
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="attempts")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField()
    paused_at = models.DateTimeField(null=True, blank=True)
    extra_minutes = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    finish_reason = models.CharField(max_length=16, choices=FinishReason.choices, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    total = models.PositiveSmallIntegerField(default=0)
    passed = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["session", "examinee"], name="one_attempt_per_examinee_and_session"),
            models.CheckConstraint(
                condition=Q(status="finished", score__isnull=False) | ~Q(status="finished"),
                name="finished_attempt_has_score",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.examinee} – {self.exam}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.FINISHED

    def remaining(self, now: datetime.datetime | None = None) -> datetime.timedelta:
        """Time left on the server's clock; a paused attempt's clock stands still."""
        now = now or timezone.now()
        if self.status == self.Status.FINISHED:
            return datetime.timedelta(0)
        reference = self.paused_at if self.status == self.Status.PAUSED and self.paused_at else now
        return max(self.deadline - reference, datetime.timedelta(0))

    # The clock's changes, the same for one pupil and for the whole class (exams/services.py);
    # the caller saves the fields named beside each.
    PAUSE_FIELDS = ("status", "paused_at")
    RESUME_FIELDS = ("status", "paused_at", "deadline")
    EXTEND_FIELDS = ("deadline", "extra_minutes")

    def pause(self, now: datetime.datetime) -> None:
        self.status, self.paused_at = self.Status.PAUSED, now

    def resume(self, now: datetime.datetime) -> None:
        """The deadline moves by the time spent paused."""
        self.deadline += now - (self.paused_at or now)
        self.status, self.paused_at = self.Status.RUNNING, None

    def extend(self, minutes: int) -> None:
        self.deadline += datetime.timedelta(minutes=minutes)
        self.extra_minutes += minutes

    def is_past_deadline(self, now: datetime.datetime | None = None) -> bool:
        return self.status == self.Status.RUNNING and (now or timezone.now()) >= self.deadline


class AttemptQuestion(models.Model):
    """A drawn question in an attempt, its choice order, and the answer given so far.

    `save_seq` is the client's sequence number of the save that set `answer`:
    a save with a lower number that arrives late never overwrites a newer one.
    """

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    choice_order = models.JSONField(help_text="Choice ids in the order this examinee sees them.")
    answer = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Index into choice_order.")
    save_seq = models.PositiveIntegerField(default=0)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [models.UniqueConstraint(fields=["attempt", "position"], name="attempt_question_position_unique")]

    def __str__(self) -> str:
        return f"{self.attempt_id}#{self.position}"
