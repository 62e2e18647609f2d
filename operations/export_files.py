"""What a school's data export holds: each CSV file, its columns, its rows, and the README (docs/design.md §8.4).

Every query here is filtered by the one organization and read with
`.iterator()`, so a school of any size is written in a bounded amount of
memory. The files say what the school's own screens say today: a person who
is no longer a member is written as "former member" with no login id
(docs/design.md §7). Never exported: passwords or their hashes, message and
notice bodies (not even decrypted: the queries never select them), incident
notes (docs/design.md §5), and the score and answers of a revoked result.

The headers, the words in cells and the README are Japanese, like the school's
other CSV files; labels of choices (roles, states) come from the models'
translations, the builder writing under the Japanese locale.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

from django.db.models import Case, Count, Q, QuerySet, When
from django.utils import timezone
from django.utils.translation import gettext as _

from classrooms.audit_log import audit_rows  # the audit log page's own naming rules, so the file says the same
from classrooms.models import AuditEntry, Enrollment, Membership, Organization, SchoolClass, User
from classrooms.schoolyear import today
from classrooms.spreadsheet import spreadsheet_time
from exams.models import Attempt, AttemptQuestion, Choice, Question
from exams.scoring import chosen_choice, picked_choices, points_text
from exams.services import question_points
from messaging.models import Message, Notice
from proctoring.models import JAPANESE_CATEGORY, Incident, ProctoredSession, Revocation

CHUNK = 2000


moment = spreadsheet_time  # the files' name for it: a time as spreadsheets read it


def day(value: datetime.date | None) -> str:
    return "" if value is None else value.isoformat()


def number(value: int | None) -> str:
    """A count or an id as a CSV cell; empty when there is none."""
    return "" if value is None else str(value)


@dataclass
class ExportContext:
    """The school being exported and who of its people may be named today."""

    organization: Organization
    built_at: datetime.datetime = field(default_factory=timezone.now)

    @cached_property
    def present(self) -> set[int]:
        """Users who are members today: the only people the files name (one query, ids only)."""
        members = Membership.objects.active_on(today()).filter(organization=self.organization)
        return set(members.values_list("user_id", flat=True))

    def person(self, user_id: int | None, name: str, login_id: str, role: str) -> tuple[str, str]:
        """(name, login id) as the school may write them today."""
        if user_id is None:
            return "", ""
        if role == User.Role.OPERATOR:
            return _("Kantoku operator"), ""
        if user_id in self.present:
            return name, login_id
        return _("former member"), ""

    @cached_property
    def questions(self) -> dict[int, tuple[str, str]]:
        """Key and text of every question of the school's own exams its tests used; the operator's
        catalog's questions stay unread by schools (docs/design.md §3): blank key and text.
        """
        used = Question.objects.filter(exam__sessions__school_class__organization=self.organization).distinct()
        rows = used.values_list("pk", "key", "prompt", "exam__organization_id")
        return {pk: (key, prompt) if owner else ("", "") for pk, key, prompt, owner in rows}

    @cached_property
    def choices(self) -> dict[int, tuple[str, bool]]:
        """Text (blank for the operator's catalog) and correctness of every choice of those questions."""
        used = Choice.objects.filter(question_id__in=list(self.questions))
        rows = used.values_list("pk", "text", "is_correct", "question__exam__organization_id")
        return {pk: (text if owner else "", correct) for pk, text, correct, owner in rows}


def people(prefix: str) -> list[str]:
    """The value_list fields that `ctx.person` needs for the user at `prefix` (e.g. "sender")."""
    return [f"{prefix}_id", f"{prefix}__name", f"{prefix}__login_id", f"{prefix}__role"]


@dataclass(frozen=True)
class ExportFile:
    """One CSV file of the export: its name, what the README says of it, its query and its rows."""

    name: str
    title: str
    about: str
    columns: tuple[tuple[str, str], ...]
    query: Callable[[ExportContext], QuerySet]
    rows: Callable[[ExportContext, Iterable], Iterator[list[str]]]

    @property
    def header(self) -> list[str]:
        return [column for column, _about in self.columns]


# --- Roster ------------------------------------------------------------------------------------------


def _classes(ctx: ExportContext) -> QuerySet:
    return (
        SchoolClass.objects.filter(organization=ctx.organization)
        .order_by("school_year", "name", "pk")
        .values_list("pk", "school_year", "name", *people("teacher"), "created_at")
    )


def _class_rows(ctx: ExportContext, items: Iterable) -> Iterator[list[str]]:
    for pk, year, name, *teacher, created_at in items:
        yield [str(pk), str(year), name, *ctx.person(*teacher), moment(created_at)]


ROLE_ORDER = (User.Role.ORG_ADMIN, User.Role.TEACHER, User.Role.EXAMINEE)


def _memberships(ctx: ExportContext) -> QuerySet:
    current = Q(ends_on__isnull=True) | Q(ends_on__gt=today())
    role_order = Case(
        *(When(user__role=role, then=rank) for rank, role in enumerate(ROLE_ORDER)), default=len(ROLE_ORDER)
    )
    return (
        Membership.objects.filter(current, organization=ctx.organization)
        .order_by(role_order, "user__kana", "user__name", "user__login_id", "starts_on")
        .values_list(
            "user__login_id", "user__name", "user__kana", "user__role", "user__is_active", "starts_on", "ends_on"
        )
    )


def _membership_rows(ctx: ExportContext, items: Iterable) -> Iterator[list[str]]:
    roles = dict(User.Role.choices)
    for login_id, name, kana, role, is_active, starts_on, ends_on in items:
        state = "利用中" if is_active else "停止中"
        yield [login_id, name, kana, str(roles.get(role, role)), state, day(starts_on), day(ends_on)]


def _enrollments(ctx: ExportContext) -> QuerySet:
    return (
        Enrollment.objects.filter(school_class__organization=ctx.organization)
        .order_by("school_class__school_year", "school_class__name", "number", "examinee__kana", "pk")
        .values_list(
            "school_class_id",
            "school_class__school_year",
            "school_class__name",
            "number",
            *people("examinee"),
            "examinee__kana",
            "starts_on",
            "ends_on",
            "time_multiplier",
        )
    )


def _enrollment_rows(ctx: ExportContext, items: Iterable) -> Iterator[list[str]]:
    for class_id, year, class_name, seat_number, *examinee, kana, starts_on, ends_on, multiplier in items:
        name, login_id = ctx.person(*examinee)
        kana = kana if login_id else ""
        head = [str(class_id), str(year), class_name, number(seat_number), login_id, name, kana]
        yield [*head, day(starts_on), day(ends_on), str(multiplier)]


# --- Tests, results, answers ---------------------------------------------------------------------------


def _sessions(ctx: ExportContext) -> QuerySet:
    return (
        ProctoredSession.objects.filter(school_class__organization=ctx.organization)
        .order_by("created_at", "pk")
        .values_list(
            "pk",
            "school_class__school_year",
            "school_class__name",
            "exam__code",
            "exam__title",
            *people("teacher"),
            "status",
            "started_at",
            "ended_at",
        )
    )


def _session_rows(ctx: ExportContext, items: Iterable) -> Iterator[list[str]]:
    states = dict(ProctoredSession.Status.choices)
    for pk, year, class_name, code, title, *teacher, status, started_at, ended_at in items:
        proctor, state = ctx.person(*teacher)[0], str(states[status])
        yield [str(pk), str(year), class_name, code, title, proctor, state, moment(started_at), moment(ended_at)]


def _attempts(ctx: ExportContext) -> QuerySet:
    return (
        Attempt.objects.filter(session__school_class__organization=ctx.organization)
        .order_by("started_at", "pk")
        .values_list(
            "pk",
            "session_id",
            "session__school_class__name",
            "exam__code",
            "exam__title",
            *people("examinee"),
            "started_at",
            "finished_at",
            "status",
            "finish_reason",
            "score",
            "total",
            "passed",
            "revocation__revoked_at",
        )
    )


def _attempt_rows(ctx: ExportContext, items: Iterable) -> Iterator[list[str]]:
    states, reasons = dict(Attempt.Status.choices), dict(Attempt.FinishReason.choices)
    for pk, session_id, class_name, code, title, *rest in items:
        examinee, (started, finished, status, reason, score, total, passed, revoked_at) = rest[0:4], rest[4:12]
        if revoked_at is not None or status != Attempt.Status.FINISHED:
            marks = ["", "", "", ""]  # a revoked result has no score any more (docs/design.md §5)
        else:
            percent = int(score * 100 // total) if total else 0
            marks = [points_text(score), str(total), str(percent), "合格" if passed else "不合格"]
        name, login_id = ctx.person(*examinee)
        head = [str(pk), str(session_id), class_name, code, title, login_id, name, moment(started), moment(finished)]
        state = [str(states[status]), str(reasons.get(reason, ""))]
        yield [*head, *state, *marks, "取消" if revoked_at else "", moment(revoked_at)]


def _answers(ctx: ExportContext) -> QuerySet:
    results = Q(attempt__status=Attempt.Status.FINISHED, attempt__revocation__isnull=True)
    return (
        AttemptQuestion.objects.filter(results, attempt__session__school_class__organization=ctx.organization)
        .order_by("attempt_id", "position")
        .values_list("attempt_id", "position", "question_id", "choice_order", "answer", "response", "answered_at")
    )


@dataclass(frozen=True)
class AnswerKey:
    """What scoring one question needs (docs/design.md §3), read once per question for the whole file."""

    question: Question  # unsaved, with kind, credit and accepted answers only
    choices: list[Choice]  # unsaved, with id and correctness, in the question's order
    owned: bool  # the school's own test; False: the operator's catalog, whose texts stay blank


def answer_keys(question_ids: Iterable[int]) -> dict[int, AnswerKey]:
    """Each question's kind, credit, accepted answers and choices, as `exams.services.question_points` reads."""
    question_ids = list(question_ids)
    choices: dict[int, list[Choice]] = {}
    rows = Choice.objects.filter(question_id__in=question_ids).order_by("position", "pk")
    for pk, question_id, correct in rows.values_list("pk", "question_id", "is_correct"):
        choices.setdefault(question_id, []).append(Choice(id=pk, is_correct=correct))
    fields = ("pk", "kind", "credit", "accepted_answers", "exam__organization_id")
    return {
        pk: AnswerKey(Question(kind=kind, credit=credit, accepted_answers=accepted), choices.get(pk, []), bool(owner))
        for pk, kind, credit, accepted, owner in Question.objects.filter(pk__in=question_ids).values_list(*fields)
    }


def points_cell(points: Fraction) -> str:
    """An item score from 0 to 1 as a cell: "1", "0", or a partial credit to three decimals ("0.5", "0.333")."""
    return f"{float(points):.3f}".rstrip("0").rstrip(".")


def _given_text(ctx: ExportContext, row: AttemptQuestion, key: AnswerKey) -> str:
    """What the pupil answered, in words: the choice, the ticked choices, the text typed or the order given.

    Blank for a question of the operator's catalog: its choices stay unread by schools, and a typed answer
    beside its verdict would tell the accepted answers (docs/design.md §3).
    """
    if not key.owned:
        return ""
    kind = row.question.kind
    if kind == Question.Kind.SINGLE:
        return ctx.choices.get(chosen_choice(row.choice_order, row.answer), ("", False))[0]
    if kind == Question.Kind.SHORT:
        return row.response if isinstance(row.response, str) else ""
    picked = picked_choices(row.choice_order, row.response) or []
    if kind == Question.Kind.MULTIPLE:
        ticked = set(picked)
        return " / ".join(ctx.choices.get(choice.id, ("", False))[0] for choice in key.choices if choice.id in ticked)
    return " → ".join(ctx.choices.get(choice_id, ("", False))[0] for choice_id in picked)


def _verdict(row: AttemptQuestion, points: Fraction) -> str:
    text = row.response if isinstance(row.response, str) else None
    if not row.is_answered or (row.question.kind == Question.Kind.SHORT and not (text or "").strip()):
        return "未回答"
    return "正解" if points == 1 else "不正解" if points == 0 else "部分正解"


def _answer_rows(ctx: ExportContext, items: Iterable) -> Iterator[list[str]]:
    keys = answer_keys(ctx.questions)  # every question the school's tests used, as `ctx.questions` holds them
    for attempt_id, position, question_id, choice_order, answer, response, answered_at in items:
        key = keys.get(question_id) or AnswerKey(Question(), [], False)
        row = AttemptQuestion(question=key.question, choice_order=choice_order, answer=answer, response=response)
        points = question_points(row, key.choices)
        question_key, prompt = ctx.questions.get(question_id, ("", ""))
        given = _given_text(ctx, row, key)
        yield [
            str(attempt_id),
            str(position + 1),
            question_key,
            prompt,
            given,
            _verdict(row, points),
            points_cell(points),
            moment(answered_at),
        ]


# --- Incidents and revocations ------------------------------------------------------------------------


def _incidents(ctx: ExportContext) -> QuerySet:
    # Never the note: it is private to the session's teacher and the org admins (docs/design.md §5).
    return (
        Incident.objects.filter(organization=ctx.organization)
        .order_by("at", "pk")
        .values_list(
            "pk",
            "at",
            "category",
            *people("subject"),
            *people("reporter"),
            "session_id",
            "session__school_class__name",
            "session__exam__title",
            "action",
            "resolved_at",
            *people("resolved_by"),
        )
    )


def _incident_rows(ctx: ExportContext, items: Iterable) -> Iterator[list[str]]:
    actions = dict(Incident.Action.choices)
    for pk, at, category, *rest in items:
        subject, reporter = ctx.person(*rest[0:4]), ctx.person(*rest[4:8])
        session_id, class_name, title, action, resolved_at = rest[8:13]
        decided_by = ctx.person(*rest[13:17])[0]
        head = [str(pk), moment(at), JAPANESE_CATEGORY[category], subject[0], subject[1], reporter[0]]
        session = [number(session_id), class_name or "", title or ""]
        yield [*head, *session, str(actions.get(action, "")), moment(resolved_at), decided_by]


def _revocations(ctx: ExportContext) -> QuerySet:
    return (
        Revocation.objects.filter(attempt__session__school_class__organization=ctx.organization)
        .order_by("revoked_at", "pk")
        .values_list(
            "pk",
            "attempt_id",
            *people("attempt__examinee"),
            "revoked_at",
            *people("revoked_by"),
            "reason",
            "incident_id",
        )
    )


def _revocation_rows(ctx: ExportContext, items: Iterable) -> Iterator[list[str]]:
    for pk, attempt_id, *rest in items:
        name, login_id = ctx.person(*rest[0:4])
        revoked_at, by, reason, incident_id = rest[4], ctx.person(*rest[5:9])[0], rest[9], rest[10]
        yield [str(pk), str(attempt_id), login_id, name, moment(revoked_at), by, reason, number(incident_id)]


# --- Messaging metadata (docs/design.md §6): never a body ------------------------------------------------


def _messages(ctx: ExportContext) -> QuerySet:
    return (
        Message.objects.filter(thread__organization=ctx.organization)
        .order_by("sent_at", "pk")
        .values_list(
            "pk",
            "thread_id",
            *people("sender"),
            *people("recipient"),
            "sent_at",
            "delivered_at",
            "read_at",
            "size_bytes",
        )
    )


def _message_rows(ctx: ExportContext, items: Iterable) -> Iterator[list[str]]:
    for pk, thread_id, *rest in items:
        sender, recipient = ctx.person(*rest[0:4]), ctx.person(*rest[4:8])
        sent_at, delivered_at, read_at, size = rest[8:12]
        times = [moment(sent_at), moment(delivered_at), moment(read_at)]
        yield [str(pk), str(thread_id), *sender, *recipient, *times, str(size)]


def _notices(ctx: ExportContext) -> QuerySet:
    return (
        Notice.objects.filter(organization=ctx.organization)
        .order_by("sent_at", "pk")
        .annotate(
            copies=Count("receipts"),
            delivered=Count("receipts", filter=Q(receipts__delivered_at__isnull=False)),
            read=Count("receipts", filter=Q(receipts__read_at__isnull=False)),
        )
        .values_list(
            "pk",
            "school_class__school_year",
            "school_class__name",
            *people("sender"),
            "sent_at",
            "size_bytes",
            "copies",
            "delivered",
            "read",
        )
    )


def _notice_rows(ctx: ExportContext, items: Iterable) -> Iterator[list[str]]:
    for pk, year, class_name, *rest in items:
        sender = ctx.person(*rest[0:4])
        sent_at, *counts = rest[4:9]
        yield [str(pk), str(year), class_name, *sender, moment(sent_at), *(str(count) for count in counts)]


# --- Audit log ------------------------------------------------------------------------------------------


def _audit_entries(ctx: ExportContext) -> QuerySet:
    return AuditEntry.objects.filter(organization=ctx.organization).select_related("actor").order_by("at", "pk")


def _audit_rows_of(ctx: ExportContext, items: Iterable) -> Iterator[list[str]]:
    batch: list[AuditEntry] = []
    for entry in items:
        batch.append(entry)
        if len(batch) == CHUNK:
            yield from _audit_batch(ctx, batch)
            batch = []
    yield from _audit_batch(ctx, batch)


def _audit_batch(ctx: ExportContext, entries: list[AuditEntry]) -> Iterator[list[str]]:
    for row in audit_rows(entries, ctx.organization):
        details = " / ".join(f"{label}: {value}" for label, value in row.details)
        yield [moment(row.at), row.who, row.action, row.target, details]


# --- The files, in the order of the ZIP and the README --------------------------------------------------

PERSON = "本日時点で団体に所属していない人は「以前の所属者」と書かれ、利用者IDは空欄です。"

EXPORT_FILES: tuple[ExportFile, ...] = (
    ExportFile(
        "classes.csv",
        "学級",
        "年度ごとの学級と担任の先生。",
        (
            ("学級ID", "Kantoku での学級の番号。ほかのファイルの学級IDと対応します。"),
            ("年度", "4月1日から翌年3月31日までの年度(例: 2026)。"),
            ("学級名", ""),
            ("担任の先生", PERSON),
            ("担任の利用者ID", ""),
            ("作成日時", ""),
        ),
        _classes,
        _class_rows,
    ),
    ExportFile(
        "people.csv",
        "名簿(所属する人)",
        "団体管理者・教師会員・児童生徒のうち、本日所属している人と、これから所属する人。パスワードは含みません。",
        (
            ("利用者ID", "サインインに使うID。"),
            ("氏名", ""),
            ("ふりがな", ""),
            ("種別", "団体管理者・教師会員・児童生徒の別。"),
            ("アカウントの状態", "利用中、または停止中。"),
            ("所属開始日", ""),
            ("所属終了日", "この日から所属しません。空欄は期限なし。"),
        ),
        _memberships,
        _membership_rows,
    ),
    ExportFile(
        "enrollments.csv",
        "学級の在籍",
        "児童生徒が学級に在籍した期間。過去の在籍も含みます。",
        (
            ("学級ID", "classes.csv の学級ID。"),
            ("年度", ""),
            ("学級名", ""),
            ("出席番号", ""),
            ("利用者ID", PERSON),
            ("氏名", ""),
            ("ふりがな", ""),
            ("在籍開始日", ""),
            ("在籍終了日", "この日から在籍しません。空欄は在籍中。"),
            ("時間の配慮", "制限時間の倍率(1.00 は標準、1.25・1.50・2.00 は延長)。"),
        ),
        _enrollments,
        _enrollment_rows,
    ),
    ExportFile(
        "tests.csv",
        "実施したテスト",
        "学級ごとに実施した試験監督付きのテスト。",
        (
            ("テストID", "results.csv・incidents.csv のテストIDと対応します。"),
            ("年度", ""),
            ("学級名", ""),
            ("テストコード", "運営が付けたテストのコード。"),
            ("テスト名", ""),
            ("試験監督", PERSON),
            ("状態", "待機中・実施中・終了の別。"),
            ("開始日時", ""),
            ("終了日時", ""),
        ),
        _sessions,
        _session_rows,
    ),
    ExportFile(
        "results.csv",
        "受検結果",
        "児童生徒一人ひとりの受検。取り消された結果は得点を含まず、取消の欄に記録されます。",
        (
            ("受検ID", "answers.csv・revocations.csv の受検IDと対応します。"),
            ("テストID", "tests.csv のテストID。"),
            ("学級名", ""),
            ("テストコード", ""),
            ("テスト名", ""),
            ("利用者ID", PERSON),
            ("氏名", ""),
            ("開始日時", ""),
            ("終了日時", ""),
            ("状態", "解答中・一時停止中・終了の別。"),
            ("終了の理由", "提出、時間切れ、試験監督による終了など。"),
            ("得点", "終了し、取り消されていない受検だけに記録されます。"),
            ("満点", ""),
            ("得点率(%)", "小数点以下切り捨て。"),
            ("合否", ""),
            ("取消", "結果が取り消された場合に「取消」。"),
            ("取消日時", ""),
        ),
        _attempts,
        _attempt_rows,
    ),
    ExportFile(
        "answers.csv",
        "問題ごとの解答",
        "終了し、取り消されていない受検の、出題された問題ごとの解答。",
        (
            ("受検ID", "results.csv の受検ID。"),
            ("問番号", "その受検での出題順。"),
            ("問題キー", "テストの中で問題を表すキー。"),
            ("問題文", ""),
            (
                "選んだ答え",
                "選んだ選択肢の文(複数選択は選んだ選択肢を「 / 」でつなぎます)、記述式は入力した文、"
                "並べ替えは並べた順に「 → 」でつないだ選択肢の文。未回答は空欄。"
                "運営のテストの問題では、問題文とともに空欄です。",
            ),
            ("正誤", "正解・部分正解・不正解・未回答の別。"),
            ("得点", "その問題の得点(0〜1)。部分点は小数(小数第3位まで)。"),
            ("回答日時", ""),
        ),
        _answers,
        _answer_rows,
    ),
    ExportFile(
        "incidents.csv",
        "インシデント",
        "記録されたインシデント(不正行為の疑い)と判断。メモは含みません。",
        (
            ("インシデントID", "revocations.csv のインシデントIDと対応します。"),
            ("日時", ""),
            ("区分", "利用規約の定める区分。"),
            ("対象者", PERSON),
            ("対象者の利用者ID", ""),
            ("記録した人", ""),
            ("テストID", "tests.csv のテストID。テスト外の記録は空欄。"),
            ("学級名", ""),
            ("テスト名", ""),
            ("判断", "注意のみ・結果の取消・対応なしの別。未判断は空欄。"),
            ("判断日時", ""),
            ("判断した人", ""),
        ),
        _incidents,
        _incident_rows,
    ),
    ExportFile(
        "revocations.csv",
        "結果の取消",
        "取り消された受検結果。",
        (
            ("取消ID", ""),
            ("受検ID", "results.csv の受検ID。"),
            ("利用者ID", PERSON),
            ("氏名", ""),
            ("取消日時", ""),
            ("取り消した人", ""),
            ("理由", "児童生徒に示された理由。"),
            ("インシデントID", "incidents.csv のインシデントID。"),
        ),
        _revocations,
        _revocation_rows,
    ),
    ExportFile(
        "messages.csv",
        "メッセージの記録",
        "先生と児童生徒のメッセージの記録(送受信の日時と大きさ)。本文は含みません。",
        (
            ("メッセージID", ""),
            ("会話ID", "同じ先生と児童生徒の間のメッセージは同じ会話IDです。"),
            ("送信者", PERSON),
            ("送信者の利用者ID", ""),
            ("受信者", ""),
            ("受信者の利用者ID", ""),
            ("送信日時", ""),
            ("配信日時", "相手の画面に届いた日時。"),
            ("既読日時", "相手が開いた日時。"),
            ("大きさ(バイト)", "本文の大きさ(UTF-8)。"),
        ),
        _messages,
        _message_rows,
    ),
    ExportFile(
        "notices.csv",
        "お知らせの記録",
        "学級へのお知らせの記録(送信日時と届いた人数・読んだ人数)。本文は含みません。",
        (
            ("お知らせID", ""),
            ("年度", ""),
            ("学級名", ""),
            ("送信者", PERSON),
            ("送信者の利用者ID", ""),
            ("送信日時", ""),
            ("大きさ(バイト)", ""),
            ("宛先の人数", ""),
            ("配信済みの人数", ""),
            ("既読の人数", ""),
        ),
        _notices,
        _notice_rows,
    ),
    ExportFile(
        "audit_log.csv",
        "監査ログ",
        "団体で誰がいつ何をしたかの記録。画面の監査ログと同じ内容です。",
        (
            ("日時", ""),
            ("実行者", PERSON),
            ("操作", ""),
            ("対象", ""),
            ("詳細", ""),
        ),
        _audit_entries,
        _audit_rows_of,
    ),
)


def readme(ctx: ExportContext, files: Iterable[ExportFile] = EXPORT_FILES) -> str:
    """README.txt: what the ZIP is and each file with its columns, in Japanese."""
    organization = ctx.organization
    lines = [
        "Kantoku データの書き出し",
        "",
        f"団体: {organization.name}({organization.code})",
        f"作成日時: {moment(ctx.built_at)}(日本時間)",
        "",
        "この ZIP ファイルには、団体が保存しておくべきデータが入っています。",
        "契約の終了後、一定期間が過ぎると Kantoku のデータは削除されます。大切に保管してください。",
        "",
        "・ファイルはすべて CSV 形式(UTF-8、BOM 付き)で、Excel でそのまま開けます。",
        "・日時はすべて日本時間です。",
        f"・{PERSON}",
        "・パスワード、メッセージとお知らせの本文、インシデントのメモは含みません。",
        "・ファイルは順に作成されるため、作成中に終わったテストは一部のファイルにだけ含まれることがあります。",
    ]
    for export_file in files:
        lines += ["", f"■ {export_file.name} — {export_file.title}", export_file.about, "列:"]
        lines += [f"  ・{column}" + (f": {about}" if about else "") for column, about in export_file.columns]
    return "\r\n".join(lines) + "\r\n"
