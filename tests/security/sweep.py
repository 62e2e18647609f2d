"""The route sweep's parts: every route from the resolvers, the victim's objects, the fillers, the fingerprint.

How to teach the sweep a new route (docs/design.md §9)
-----------------------------------------------------
The sweep (tests/security/test_route_sweep.py) walks every URL pattern of
`config.urls` and every websocket route of `config.asgi.application`. For each
id in a route it needs a FILLER: a function of the `World` (two organizations,
the attacker's and the victim's, with one object of every kind) that returns
the value to put in the URL, always the VICTIM's object.

- A kwarg that means the same thing in every route: add it to `FILLERS`,
  e.g. ``"handover_id": lambda world, route: world.victim["handover"].pk``.
- A kwarg whose meaning depends on the route (`transfer_id` is a departure for
  the org admin's decision and an arrival for the pupil's consent): add
  ``(url name, kwarg)`` to `ROUTE_FILLERS`, which wins over `FILLERS`.
- A new model: create the victim's instance in `World._build_victim` and put
  it in `self.victim` (under a short key) and `self.by_model` (the operators'
  console fills `object_id` of its pages from there).

- A new form field: add its name and a valid value (a reference: the victim's
  object) to `form_payload`; every POST of the sweep carries that form.

A route with an id the tables cannot fill fails the sweep with
"add a filler for <kwarg> of <url name>". A filler must aim at a live object:
the sweep also checks that someone of the victim's school (`World.owners`, or
the operator) reaches each filled URL. A page that a user may legitimately
open (their own home, the sign-in page) goes in `OPEN` of the test module, by
URL name, with the reason; a route with an id never goes there.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.regex_helper import normalize

from badges import services as badge_services
from classrooms.models import AuditEntry, Organization, Transfer, User
from classrooms.schoolyear import today
from exams import services as exam_services
from exams import versions as exam_versions
from exams.models import Regrade
from messaging import services as messaging_services
from messaging.models import BreakGlassAccess
from operations.models import BillingSnapshot, ContractTerm, DataExport
from proctoring import services as proctoring_services
from proctoring.models import Incident
from tests.conftest import connect, enroll, make_class, make_exam, make_organization, make_user, passed_attempt

# Words that exist only in the victim's data: no answer to an attacker may contain them.
CANARY = "canary-7f3a"


@dataclass(frozen=True)
class Route:
    """One URL pattern: its name (or its regex when it has none), and what reverse() would need."""

    name: str
    regex: str
    template: str  # "teacher/classes/%(class_id)s/"
    kwargs: tuple[str, ...]

    @property
    def is_console(self) -> bool:
        return self.name.startswith("admin:") or self.regex.startswith("operator/")

    def path(self, values: dict[str, object]) -> str:
        return "/" + self.template % {key: str(value) for key, value in values.items()}


def _walk(patterns, prefix: str, namespace: str | None) -> Iterator[Route]:
    for pattern in patterns:
        regex = prefix + pattern.pattern.regex.pattern.removeprefix("^")
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace) if part) or None
            yield from _walk(pattern.url_patterns, regex, inner)
        elif isinstance(pattern, URLPattern):
            name = ":".join(part for part in (namespace, pattern.name) if part) if pattern.name else regex
            template, kwargs = normalize(regex)[0]
            yield Route(name=name, regex=regex, template=template, kwargs=tuple(kwargs))


def http_routes() -> list[Route]:
    """Every URL pattern Django would resolve, through includes and namespaces (the console included)."""
    return list(_walk(get_resolver().url_patterns, "", None))


def websocket_routes(application) -> list[Route]:
    """Every route of the ASGI application's websocket protocol, found through its middleware."""
    found, todo, seen = [], [application], set()
    while todo:
        app = todo.pop()
        if id(app) in seen:
            continue
        seen.add(id(app))
        routes = getattr(app, "routes", None)
        if routes is not None:  # channels.routing.URLRouter
            found.extend(_walk(routes, "", None))
            continue
        mapping = getattr(app, "application_mapping", None)
        if mapping is not None:  # ProtocolTypeRouter: only the websocket side
            todo.append(mapping["websocket"])
        todo.extend(getattr(app, attribute) for attribute in ("application", "inner", "app") if hasattr(app, attribute))
    return found


# --- The world: the attacker's organization and the victim's -----------------------------------


class World:
    """Two organizations. `attackers`/`victims` are the users the sweep signs in; `victim` the objects it aims at."""

    def __init__(self) -> None:
        self.attacker_org = make_organization("sakura", "さくら小学校")
        self.victim_org = make_organization("midori", f"みどり中学校 {CANARY}")
        self.victim: dict[str, object] = {"organization": self.victim_org}
        self.by_model: dict[type, object] = {Organization: self.victim_org}
        self._build_attacker()
        self._build_victim()

    def _build_attacker(self) -> None:
        org = self.attacker_org
        teacher = make_user("sakura-teacher", User.Role.TEACHER, org)
        pupil = make_user("sakura-pupil", User.Role.EXAMINEE, org)
        enroll(make_class(org, teacher, "5年1組"), pupil, number=1)
        self.attackers = {
            "org_admin": make_user("sakura-admin", User.Role.ORG_ADMIN, org),
            "teacher": teacher,
            "examinee": pupil,
        }

    def _build_victim(self) -> None:
        org, victim = self.victim_org, self.victim
        victim["org_admin"] = make_user("midori-admin", User.Role.ORG_ADMIN, org)
        victim["teacher"] = make_user("midori-teacher", User.Role.TEACHER, org, name=f"先生 {CANARY}")
        colleague = make_user("midori-colleague", User.Role.TEACHER, org)
        victim["class"] = make_class(org, victim["teacher"], f"1年A組 {CANARY}")
        victim["examinee"] = make_user("midori-pupil", User.Role.EXAMINEE, org, name=f"生徒 {CANARY}")
        victim["enrollment"] = enroll(victim["class"], victim["examinee"], number=1)
        other_pupil = make_user("midori-other-pupil", User.Role.EXAMINEE, org)
        enroll(make_class(org, colleague, "1年B組"), other_pupil, number=1)
        # The victim's own lower roles: a colleague teacher (owns none of the objects aimed at) and a
        # pupil of the colleague's class.
        self.victims = {"victim_colleague": colleague, "victim_pupil": other_pupil}
        self._build_victim_test()
        self._build_victim_draft()
        self._build_victim_messages()
        self._build_victim_transfers()
        self._build_victim_operations()
        self._build_victim_badge()
        for key in ("teacher", "class", "enrollment", "incident", "revocation", "thread", "message", "notice"):
            self.by_model.setdefault(type(victim[key]), victim[key])
        self.by_model[User] = victim["examinee"]
        self.by_model[AuditEntry] = AuditEntry.objects.filter(organization=org).first()

    def _build_victim_test(self) -> None:
        victim, teacher = self.victim, self.victim["teacher"]
        exam = make_exam(code="victim-test")
        session = proctoring_services.session_open(school_class=victim["class"], exam=exam, by=teacher)
        seat, _attempt = proctoring_services.seat_take(session=session, examinee=victim["examinee"])
        connect(seat, "victim-channel")  # present in the waiting room: the start gives them an attempt
        proctoring_services.session_start(session=session, by=teacher)
        attempt = session.attempts.get(examinee=victim["examinee"])
        exam_services.answer_save(attempt=attempt, position=0, choice=1, seq=1)
        late = make_user("midori-late", User.Role.EXAMINEE, self.victim_org)
        enroll(victim["class"], late, number=2)
        _seat, revoked = proctoring_services.seat_take(session=session, examinee=late)
        incident = proctoring_services.incident_report(
            subject=victim["examinee"], by=teacher, category=Incident.Category.TALKING, note=CANARY, session=session
        )
        victim.update(session=session, attempt=attempt, incident=incident)
        victim["revocation"] = proctoring_services.result_revoke(attempt=revoked, by=teacher, reason=CANARY)
        self.by_model.update({type(exam): exam, type(exam.questions.first()): exam.questions.first()})
        # A test of the victim's own catalog (the preview, regrading and export aim at it: the operator's
        # test above is legitimately the operator's to read).
        victim["school_exam"] = make_exam(code="victim-school-test", organization=self.victim_org)
        type(exam).objects.filter(pk=victim["school_exam"].pk).update(title=f"学校のテスト {CANARY}")
        victim["school_question"] = victim["school_exam"].questions.first()
        # A corrected key of the operator's test (the console lists those only).
        question = exam.questions.first()
        regrade = Regrade.objects.create(version=question.version, question=question, by=None, reason=CANARY)
        self.by_model[Regrade] = regrade

    def _build_victim_draft(self) -> None:
        """A test of the victim school's own catalog, a draft with a passage and a question (the editor's ids)."""
        teacher = self.victim["teacher"]
        exam = exam_versions.exam_create(
            organization=self.victim_org,
            code="victim-draft",
            title=f"週テスト {CANARY}",
            time_limit_minutes=10,
            questions_per_attempt=1,
            pass_mark_percent=50,
            by=teacher,
        )
        draft = exam.versions.get()
        passage = exam_versions.passage_add(version=draft, by=teacher, title=CANARY, text=CANARY)
        question = exam_versions.question_add(version=draft, by=teacher, kind="single", passage=passage, prompt=CANARY)
        self.victim.update(school_draft=exam, passage=passage, question=question)

    def _build_victim_messages(self) -> None:
        victim = self.victim
        message = messaging_services.message_send(by=victim["teacher"], recipient=victim["examinee"], body=CANARY)
        victim.update(message=message, thread=message.thread)
        victim["notice"] = messaging_services.notice_send(
            school_class=victim["class"], by=victim["teacher"], body=CANARY
        )
        operator = make_user("operator", User.Role.OPERATOR, is_staff=True, is_superuser=True)
        self.owners = {
            "victim_org_admin": victim["org_admin"],
            "victim_teacher": victim["teacher"],
            "victim_examinee": victim["examinee"],
            "operator": operator,
        }
        self.by_model[BreakGlassAccess] = BreakGlassAccess.objects.create(
            message=message, operator=operator, reason="incident", reference=CANARY
        )
        self.by_model[type(victim["notice"].receipts.first())] = victim["notice"].receipts.first()

    def _build_victim_transfers(self) -> None:
        victim, org = self.victim, self.victim_org
        leaver = make_user("midori-leaver", User.Role.EXAMINEE, org)
        enroll(victim["class"], leaver, number=3)
        third = make_organization("kaede", "かえで小学校")
        arriving = make_user("kaede-pupil", User.Role.EXAMINEE, third)
        effective_on = today() + datetime.timedelta(days=7)
        common = {"effective_on": effective_on, "reason": CANARY, "filed_by": victim["teacher"]}
        # A departure the victim's org admin decides; an arrival at the victim's school the pupil answers.
        victim["departure"] = Transfer.objects.create(
            kind=Transfer.Kind.EXAMINEE_OUT, person=leaver, from_organization=org, **common
        )
        # Filed with the transfer code of the pupil's approved leaving of the third school (docs/design.md §7):
        # only such an arrival puts the consent question to the pupil.
        left_third = Transfer.objects.create(
            kind=Transfer.Kind.EXAMINEE_OUT,
            person=arriving,
            from_organization=third,
            status=Transfer.Status.APPROVED,
            **common,
        )
        victim["arrival"] = Transfer.objects.create(
            kind=Transfer.Kind.EXAMINEE_IN,
            person=arriving,
            from_organization=third,
            to_organization=org,
            departure=left_third,
            **common,
        )
        self.by_model[Transfer] = victim["departure"]
        self.owners["arriving_pupil"] = arriving

    def _build_victim_badge(self) -> None:
        """A badge of a pupil of the victim's school (docs/design.md §12): its public documents are swept as
        public by design, and none may carry the pupil's name (the canary) when the school did not ask for it.
        """
        victim = self.victim
        pupil = make_user("midori-badge-pupil", User.Role.EXAMINEE, self.victim_org, name=f"合格者 {CANARY}")
        enroll(victim["class"], pupil, number=4)
        attempt = passed_attempt(victim["session"], pupil)
        victim["award"] = badge_services.award_for_result(attempt=attempt)
        # Their own downloads (badges:mine_json, mine_png): the pupil is one of the owners who reach them.
        victim["badge_attempt"] = attempt
        self.owners["victim_badge_pupil"] = pupil

    def _build_victim_operations(self) -> None:
        victim, org, now = self.victim, self.victim_org, timezone.now()
        victim["export"] = DataExport.objects.create(
            organization=org,
            requested_by=victim["org_admin"],
            status=DataExport.Status.DONE,
            file_name="victim-export.zip",
            finished_at=now,
            expires_at=now + datetime.timedelta(days=7),
        )
        month = today().replace(day=1)
        snapshot = BillingSnapshot.objects.create(
            month=month,
            billing_day=month,
            organization=org,
            organization_name=org.name,
            organization_code=org.code,
            teacher_count=2,
            examinee_count=4,
            unit_price=300,
            amount=1200,
            due_on=month + datetime.timedelta(days=30),
        )
        login = {"username": "midori-admin", "user_agent": "sweep", "ip_address": "192.0.2.1", "path_info": "/login/"}
        self.by_model.update(
            {
                DataExport: victim["export"],
                BillingSnapshot: snapshot,
                ContractTerm: ContractTerm.objects.filter(organization=org).first(),
                AccessAttempt: AccessAttempt.objects.create(get_data="", post_data="", failures_since_start=1, **login),
                AccessLog: AccessLog.objects.create(**login),
                AccessFailureLog: AccessFailureLog.objects.create(**login),
            }
        )


# --- Fillers: kwarg -> the victim's object ------------------------------------------------------

Filler = Callable[[World, Route], object]


def _victim(key: str) -> Filler:
    return lambda world, route: world.victim[key].pk


def _console_model(route: Route):
    """The model of a console page, from its path: operator/<app_label>/<model_name>/..."""
    parts = route.template.split("/")
    try:
        return apps.get_model(parts[1], parts[2])
    except (IndexError, LookupError):
        return None


def _console_object(world: World, route: Route) -> object:
    model = _console_model(route)
    instance = world.by_model.get(model)
    return None if instance is None else instance.pk


FILLERS: dict[str, Filler] = {
    "class_id": _victim("class"),
    "session_id": _victim("session"),
    "attempt_id": _victim("attempt"),
    "enrollment_id": _victim("enrollment"),
    "examinee_id": _victim("examinee"),
    "teacher_id": _victim("teacher"),
    "transfer_id": _victim("departure"),
    "incident_id": _victim("incident"),
    "thread_id": _victim("thread"),
    "message_id": _victim("message"),
    "notice_id": _victim("notice"),
    "export_id": _victim("export"),
    "organization_id": _victim("organization"),
    # The test editor (docs/design.md §3): a draft of the victim school's own catalog and its contents.
    "exam_id": _victim("school_draft"),
    "passage_id": _victim("passage"),
    "question_id": _victim("question"),
    # Not ids: a question's place in the attempt, a contract page, a billing month, an app's page.
    "position": lambda world, route: 0,
    "step": lambda world, route: "suspend",
    "year": lambda world, route: today().year,
    "month": lambda world, route: f"{today().month:02d}",
    "app_label": lambda world, route: "classrooms",
    # The console: the victim's row of the page's model; its catch-all; its view-on-site shortcut.
    "object_id": _console_object,
    "url": lambda world, route: "classrooms/user/",
    "content_type_id": lambda world, route: ContentType.objects.get_for_model(User).pk,
}

# The author's preview, regrading and JSON export of a version (docs/design.md §3): the victim school's
# published test (the editor's draft above has no key to correct).
PREVIEW_ROUTES = (
    "exams:version_preview",
    "exams:version_preview_question",
    "exams:version_preview_submit",
    "exams:question_regrade",
    "exams:exam_export_json",
)
FILLERS["number"] = lambda world, route: 1

ROUTE_FILLERS: dict[tuple[str, str], Filler] = {
    ("classrooms:examinee_history_consent", "transfer_id"): _victim("arrival"),
    ("admin:view_on_site", "object_id"): _victim("examinee"),
    # The operator's reset of someone's two-factor sign-in (docs/design.md §1).
    ("admin:classrooms_user_two_factor_reset", "user_id"): _victim("org_admin"),
    # The school's item analysis of one version of its own test across its classes (docs/design.md §3).
    ("exams:version_analysis", "exam_id"): lambda world, route: victim_own_exam(world).pk,
    **{(name, "exam_id"): _victim("school_exam") for name in PREVIEW_ROUTES},
    **{(name, "question_id"): _victim("school_question") for name in PREVIEW_ROUTES},
    # The badges' public documents (docs/design.md §12), by their random ids: the victim pupil's badge.
    ("badges:credential", "public_id"): lambda world, route: world.victim["award"].public_id,
    ("badges:issuer", "public_id"): lambda world, route: world.victim["award"].issuer.public_id,
    ("badges:keys", "public_id"): lambda world, route: world.victim["award"].issuer.public_id,
    ("badges:achievement", "public_id"): lambda world, route: world.victim["award"].achievement.public_id,
    ("badges:image", "public_id"): lambda world, route: world.victim["award"].achievement.public_id,
    ("badges:status_list", "public_id"): lambda world, route: world.victim["award"].status_list.public_id,
    # The verification page a pupil's share link opens (badges/pages.py), and the pupil's own downloads.
    ("badges:verify", "public_id"): lambda world, route: world.victim["award"].public_id,
    ("badges:mine_json", "attempt_id"): _victim("badge_attempt"),
    ("badges:mine_png", "attempt_id"): _victim("badge_attempt"),
}


def fill(world: World, route: Route) -> tuple[dict[str, object], list[str]]:
    """The route's kwargs filled with the victim's objects, and the kwargs nothing could fill."""
    values, missing = {}, []
    for kwarg in route.kwargs:
        filler = ROUTE_FILLERS.get((route.name, kwarg)) or FILLERS.get(kwarg)
        value = filler(world, route) if filler else None
        if value is None:
            missing.append(kwarg)
        else:
            values[kwarg] = value
    return values, missing


def teach_message(route: Route, missing: list[str]) -> str:
    return "; ".join(
        f"add a filler for {kwarg} of {route.name} (tests/security/sweep.py: FILLERS or ROUTE_FILLERS)"
        for kwarg in missing
    )


# --- What a POST carries -------------------------------------------------------------------------

# Marks what the sweep itself sent (never the victim's CANARY: an echo of one's own input is no leak).
POSTED = "sweep-posted"


def form_payload(world: World) -> dict[str, object]:
    """One valid value for every field name the site's forms use, references aimed at the victim's objects.

    Every POST of the sweep carries it, so a view that forgot its access check gets a form it would
    accept, and its write shows in the fingerprint. A new form field: add its name here.
    """
    victim = world.victim
    return {
        "name": POSTED,
        "kana": "すいーぷ",
        "number": 99,
        "time_multiplier": "1.50",
        "school_year": today().year,
        "examinee": victim["examinee"].pk,
        "recipient": victim["examinee"].pk,
        "message": victim["message"].pk,
        "incident": victim["incident"].pk,
        "effective_on": (today() + datetime.timedelta(days=14)).isoformat(),
        "reason": POSTED,
        "consent": "yes",
        "category": Incident.Category.OTHER,
        "note": POSTED,
        "action": Incident.Action.WARNING,
        "body": POSTED,
        "position": 0,
        "choice": 0,
        "seq": 99,
        # The test editor's forms
        "title": POSTED,
        "description": POSTED,
        "time_limit_minutes": 10,
        "pass_mark_percent": 50,
        "questions_per_attempt": 1,
        # The editor's badge card (docs/design.md §12)
        "badge_enabled": "on",
        "name_ja": POSTED,
        "name_en": POSTED,
        "description_ja": POSTED,
        "description_en": POSTED,
        "criteria_ja": POSTED,
        "criteria_en": POSTED,
        "show_pupil_name": "on",
        "text": POSTED,
        "prompt": POSTED,
        "kind": "short",
        "accepted": POSTED,
        "direction": "up",
        # The key corrected by regrading, and a preview's hand-in (docs/design.md §3).
        "correct": victim["school_question"].choices.order_by("position").last().pk,
        "answers": "[]",
    }


# --- The database fingerprint -------------------------------------------------------------------

# Tables a refused request may still write, each for a reason that discloses nothing and changes no
# school's data: the session store (Django saves a session whose CSRF token or messages changed).
FINGERPRINT_EXCLUDED = {"django_session"}


def fingerprint() -> dict[str, tuple[int, str]]:
    """Per table: the row count and a hash of every row (all columns), over every table in the database."""
    result = {}
    with connection.cursor() as cursor:
        for table in sorted(set(connection.introspection.table_names()) - FINGERPRINT_EXCLUDED):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - a table name of ours
            rows = sorted(repr(row) for row in cursor.fetchall())
            result[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return result


def fingerprint_changes(before: dict, after: dict) -> list[str]:
    return [
        f"{table}: {before.get(table)} -> {after.get(table)}"
        for table in sorted(set(before) | set(after))
        if before.get(table) != after.get(table)
    ]


def victim_own_exam(world: World):
    """A test of the victim school's own catalog (version 1) written by the victim's teacher, made the first
    time a route asks for it. The colleague teacher neither wrote it nor had a class sit it.
    """
    from exams.models import Exam

    exam = Exam.objects.filter(organization=world.victim_org, code="victim-own-test").first()
    if exam is None:
        exam = make_exam(code="victim-own-test", questions=2, per_attempt=2, organization=world.victim_org)
        Exam.objects.filter(pk=exam.pk).update(created_by=world.victim["teacher"])
    return exam
