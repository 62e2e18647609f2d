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


class _ExamSettings(models.Model):
    """The rules both an exam's working copy and its frozen versions apply to their settings (no fields:
    the two models' fields stay their own, so their admin forms and verbose names are unchanged).
    """

    class Meta:
        abstract = True

    @property
    def time_limit(self) -> datetime.timedelta:
        return datetime.timedelta(minutes=self.time_limit_minutes)

    def passes(self, score, total: int) -> bool:
        return total > 0 and score * 100 >= self.pass_mark_percent * total

    @property
    def plain_title(self) -> str:
        """The title without its furigana notation, for one-line places: lists, tables, the browser tab, CSVs.

        A title may carry readings like any exam text (docs/exam-format.md, "Furigana"); the headings a
        pupil reads render them as ruby.
        """
        from exams.templatetags.exam_text import without_ruby

        return without_ruby(self.title)


class Exam(_ExamSettings):
    """A test in one of two catalogs (docs/design.md §3).

    `organization` null: the operator's catalog, which every school may proctor
    and whose questions no teacher reads. Set: that school's own catalog, written
    by its teachers. The settings here are the working copy; what pupils sit is
    always an `ExamVersion`, frozen when published.
    """

    organization = models.ForeignKey(
        "classrooms.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="exams",
        verbose_name=_("school"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
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
        return self.plain_title

    @property
    def is_operator_catalog(self) -> bool:
        return self.organization_id is None

    def published_version(self) -> ExamVersion | None:
        """The newest published version: what a new session pins."""
        return self.versions.filter(status=ExamVersion.Status.PUBLISHED).order_by("-number").first()

    def latest_version(self) -> ExamVersion:
        """The newest version, draft or published; an exam without any gets version 1, published, from
        its own settings (the path of code that writes questions straight onto an exam).
        """
        version = self.versions.order_by("-number").first()
        if version is None:
            version = ExamVersion.objects.create(
                exam=self,
                number=1,
                status=ExamVersion.Status.PUBLISHED,
                published_at=timezone.now(),
                **{name: getattr(self, name) for name in ExamVersion.SETTINGS},
            )
        return version


class ExamVersion(_ExamSettings):
    """One frozen edition of an exam (docs/design.md §3).

    A draft may change; publishing freezes it, and a session pins the version
    it started with, so results always say which questions were sat.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    # The settings a version freezes, named as on Exam (its working copy).
    SETTINGS = ("title", "description", "time_limit_minutes", "questions_per_attempt", "pass_mark_percent")

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="versions", verbose_name=_("exam"))
    number = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("instructions"), blank=True)
    time_limit_minutes = models.PositiveSmallIntegerField(
        _("time limit (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    questions_per_attempt = models.PositiveSmallIntegerField(
        _("questions per attempt"), validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    pass_mark_percent = models.PositiveSmallIntegerField(
        _("pass mark (%)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )

    class Meta:
        ordering = ["exam", "number"]
        verbose_name = _("exam version")
        verbose_name_plural = _("exam versions")
        constraints = [
            models.UniqueConstraint(fields=["exam", "number"], name="exam_version_number_unique"),
            models.UniqueConstraint(
                fields=["exam"], condition=Q(status="draft"), name="exam_has_at_most_one_draft_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plain_title} (v{self.number})"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class Passage(models.Model):
    """A text (本文) several questions of one version refer to; drawn together with them."""

    version = models.ForeignKey(ExamVersion, on_delete=models.CASCADE, related_name="passages")
    key = models.SlugField(_("key"), max_length=40)
    title = models.CharField(_("title"), max_length=200, blank=True)
    text = models.TextField(_("passage"))
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["version", "position"]
        verbose_name = _("passage")
        verbose_name_plural = _("passages")
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="passage_key_unique_per_version")]

    def __str__(self) -> str:
        return self.title or self.key


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        SHORT = "short", _("Short answer")
        ORDERING = "ordering", _("Ordering")

    class Credit(models.TextChoices):
        ALL_OR_NOTHING = "all", _("All or nothing")
        PARTIAL = "partial", _("Partial credit")

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="questions", verbose_name=_("exam"))
    version = models.ForeignKey(
        ExamVersion, on_delete=models.CASCADE, related_name="questions", verbose_name=_("version")
    )
    group = models.ForeignKey(
        Passage, on_delete=models.CASCADE, null=True, blank=True, related_name="questions", verbose_name=_("passage")
    )
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    credit = models.CharField(_("scoring"), max_length=8, choices=Credit.choices, default=Credit.ALL_OR_NOTHING)
    accepted_answers = models.JSONField(
        _("accepted answers"), default=list, blank=True, help_text=_("Short answer: every answer counted right.")
    )
    key = models.SlugField(_("key"), max_length=40, help_text=_("Stable id of the question within its exam."))
    passage = models.TextField(_("passage"), blank=True)
    prompt = models.TextField(_("question"))
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["version", "position"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="question_key_unique_per_version")]

    def __str__(self) -> str:
        return f"{self.exam.code}/{self.key}"

    def save(self, *args, **kwargs):
        if self.version_id is None:
            self.version = self.exam.latest_version()
        super().save(*args, **kwargs)


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
    version = models.ForeignKey(ExamVersion, on_delete=models.PROTECT, related_name="attempts")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField()
    paused_at = models.DateTimeField(null=True, blank=True)
    extra_minutes = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    finish_reason = models.CharField(max_length=16, choices=FinishReason.choices, blank=True)
    # The sum of the questions' points (each 0 to 1, partial credit included), to two decimals (exams/scoring.py).
    score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    total = models.PositiveSmallIntegerField(default=0)
    passed = models.BooleanField(null=True, blank=True)
    # The newest correction of a key that scored this result again (exams/regrade.py); null: never.
    regraded_at = models.DateTimeField(null=True, blank=True)
    regrade = models.ForeignKey("Regrade", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

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

    def save(self, *args, **kwargs):
        if self.version_id is None:
            self.version_id = self.session.version_id
        super().save(*args, **kwargs)

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
    # The other kinds' answers (docs/design.md §3): multiple choice and ordering a list of indexes into
    # choice_order, short answer the text typed. Null: not answered.
    response = models.JSONField(null=True, blank=True)
    save_seq = models.PositiveIntegerField(default=0)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [models.UniqueConstraint(fields=["attempt", "position"], name="attempt_question_position_unique")]

    def __str__(self) -> str:
        return f"{self.attempt_id}#{self.position}"

    @property
    def is_answered(self) -> bool:
        """An answer of any kind (as `exams.services.ANSWERED` in a query)."""
        return self.answer is not None or self.response is not None


class Regrade(models.Model):
    """A key corrected on a published version, and the results scored again (docs/design.md §3).

    The only change a published version allows: which choices are correct, the accepted answers, an
    ordering's right order. `key_before`/`key_after` summarise the key in the author's words (choice
    texts, accepted answers); `rescored` counts the finished, non-revoked attempts scored again.
    """

    MAX_REASON_LENGTH = 500

    version = models.ForeignKey(ExamVersion, on_delete=models.CASCADE, related_name="regrades")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="regrades")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    reason = models.TextField(_("reason"))
    at = models.DateTimeField(_("when"), default=timezone.now)
    rescored = models.PositiveIntegerField(_("results scored again"), default=0)
    key_before = models.JSONField(default=list)
    key_after = models.JSONField(default=list)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("regrade")
        verbose_name_plural = _("regrades")

    def __str__(self) -> str:
        return f"{self.version} {self.question.key} ({self.at:%Y-%m-%d})"
