"""The route sweep: every URL and websocket route, aimed at another school's objects, by everyone who must not.

Routes come from the resolvers (tests/security/sweep.py says how to teach the sweep a new id).
Each route is requested, GET and POST (with the CSRF token of the requester's own session, read from
the cookie a browser would hold), by the attacker school's org admin, teacher and pupil, by the
victim school's colleague teacher and a pupil of another class, and anonymously. Every answer must be
403, 404, 405 or a redirect to a sign-in page (or to the new-password page), no answer may carry the
victim's words, and no POST may change a row of the database (docs/design.md §1, §9).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from classrooms import two_factor
from classrooms.models import AuditEntry, User
from classrooms.views.accounts import HOME_BY_ROLE
from config.asgi import application
from tests.conftest import PASSWORD
from tests.security import sweep
from tests.websockets import IN_MEMORY_LAYER, Sockets, db

HTTP_ROUTES = sweep.http_routes()
SOCKET_ROUTES = sweep.websocket_routes(application)
ROLE_OF = {
    "anonymous": "anonymous",
    "org_admin": User.Role.ORG_ADMIN,
    "teacher": User.Role.TEACHER,
    "examinee": User.Role.EXAMINEE,
    "victim_colleague": User.Role.TEACHER,
    "victim_pupil": User.Role.EXAMINEE,
    "operator": User.Role.OPERATOR,  # on the schools' pages only: the console is the operator's own
}
METHODS = ("get", "post")
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A sweep that silently shrinks must fail: the counts of today (a route removed for good lowers them).
MINIMUM_HTTP_ROUTES = 236
MINIMUM_SOCKET_ROUTES = 3

# Where a refusal may send someone: to sign in (the site's, the console's), or to choose a new password first.
SIGN_IN_PAGES = ("classrooms:login", "admin:login", "classrooms:password_change_required")

ANYONE = frozenset(ROLE_OF.values())
SIGNED_IN = ANYONE - {"anonymous"}
STAFF = frozenset({User.Role.ORG_ADMIN, User.Role.TEACHER})
STAFF_AND_OPERATOR = STAFF | {User.Role.OPERATOR}


@dataclass(frozen=True)
class Open:
    """A page without ids that these roles may open for themselves.

    `writes`: its POST may change their own rows; `discloses`: it shows every school's data by design.
    """

    roles: frozenset
    reason: str
    writes: bool = False
    discloses: bool = False


OPEN: dict[str, Open] = {
    "healthz": Open(ANYONE, "the load balancer's health check"),
    "set_language": Open(ANYONE, "the language switch (a cookie, then back to the page)"),
    "classrooms:login": Open(ANYONE, "the sign-in page (signed in: back to one's own home)"),
    "admin:login": Open(ANYONE, "the console's sign-in page (signed in without staff rights: says so)"),
    "admin:logout": Open(ANYONE, "the console's sign-out: without staff rights, only a redirect to the console"),
    "classrooms:home": Open(SIGNED_IN, "sends each person to their own role's home"),
    "classrooms:password_change": Open(SIGNED_IN, "one's own password"),
    "classrooms:password_change_required": Open(SIGNED_IN, "one's own new password"),
    "classrooms:logout": Open(ANYONE, "one's own sign-out (axes notes its time in one's access log)", writes=True),
    "messaging:inbox": Open(SIGNED_IN, "one's own conversations (an org admin: to the school's metadata page)"),
    "messaging:message_new": Open(SIGNED_IN - {User.Role.ORG_ADMIN}, "writing to one's own correspondents"),
    "classrooms:teacher_class_list": Open({User.Role.TEACHER}, "the teacher's own classes"),
    "classrooms:teacher_class_create": Open({User.Role.TEACHER}, "creates a class of one's own", writes=True),
    "classrooms:teacher_roster_template": Open({User.Role.TEACHER}, "an empty CSV template"),
    "classrooms:transfer_examinee_arrival": Open(STAFF, "filing an arrival at one's own school"),
    "proctoring:incident_list": Open(STAFF, "incidents one may review in one's own school"),
    "classrooms:examinee_home": Open({User.Role.EXAMINEE}, "the pupil's own home"),
    "exams:history": Open({User.Role.EXAMINEE}, "the pupil's own results"),
    "classrooms:orgadmin_teacher_list": Open({User.Role.ORG_ADMIN}, "one's own school's teachers"),
    "classrooms:orgadmin_teacher_issue": Open(
        {User.Role.ORG_ADMIN}, "issues a teacher account in one's own school", writes=True
    ),
    "classrooms:orgadmin_teacher_arrival": Open({User.Role.ORG_ADMIN}, "a teacher arriving at one's own school"),
    "classrooms:orgadmin_examinee_list": Open({User.Role.ORG_ADMIN}, "one's own school's pupils"),
    "classrooms:orgadmin_class_list": Open({User.Role.ORG_ADMIN}, "one's own school's classes"),
    "classrooms:orgadmin_audit_log": Open({User.Role.ORG_ADMIN}, "one's own school's audit log"),
    "classrooms:orgadmin_transfer_list": Open({User.Role.ORG_ADMIN}, "one's own school's transfers"),
    "messaging:org_metadata": Open({User.Role.ORG_ADMIN}, "one's own school's messaging metadata"),
    "operations:export_list": Open({User.Role.ORG_ADMIN}, "one's own school's exports"),
    "badges:school_settings": Open(
        {User.Role.ORG_ADMIN}, "one's own school's badge settings (names in badges: audited)", writes=True
    ),
    "operations:export_status": Open({User.Role.ORG_ADMIN}, "the progress of one's own school's export"),
    "messaging:operator_statistics": Open({User.Role.OPERATOR}, "messaging statistics of every school", discloses=True),
    "messaging:operator_break_glass": Open(
        {User.Role.OPERATOR}, "break-glass: opening one message, with a reason, recorded", discloses=True
    ),
    # One's own second factor (docs/design.md §1): a pupil gets 404; without an app, nothing to change.
    "classrooms:two_factor_verify": Open(STAFF_AND_OPERATOR, "one's own second step of signing in"),
    "classrooms:two_factor_setup": Open(STAFF_AND_OPERATOR, "setting up one's own authenticator (session only)"),
    "classrooms:two_factor_account": Open(STAFF_AND_OPERATOR, "one's own two-factor settings"),
    "classrooms:two_factor_recovery_codes": Open(STAFF_AND_OPERATOR, "one's own recovery codes (needs an app)"),
    "classrooms:two_factor_disable": Open(STAFF_AND_OPERATOR, "turning off one's own (refused when required)"),
    "exams:exam_import_json": Open(
        {User.Role.TEACHER, User.Role.OPERATOR}, "a test file into one's own catalog, as a new draft", writes=True
    ),
    "operations:export_request": Open(
        {User.Role.ORG_ADMIN}, "requests an export of one's own school (a queued row)", writes=True
    ),
    # The test editor (docs/design.md §3): one's own catalog (a teacher's school's, the operator's).
    "exams:write_list": Open({User.Role.TEACHER, User.Role.OPERATOR}, "the tests of one's own catalog"),
    "exams:write_new": Open(
        {User.Role.TEACHER, User.Role.OPERATOR}, "creates a test in one's own catalog", writes=True
    ),
}

# Public by design (docs/design.md §12): the badges' documents, which any verifier fetches without signing
# in, by random ids only. Every requester's GET answers them; a POST is refused (405) and changes nothing,
# and no answer may carry the victim's words (the pupil's name is not in a badge unless the school says so).
PUBLIC: dict[str, str] = {
    "badges:issuer": "the issuer's profile and keys, which every verifier of its badges fetches",
    "badges:keys": "the issuer's Multikey documents",
    "badges:achievement": "what a badge was given for",
    "badges:image": "the badge's picture",
    "badges:credential": "a pupil's badge, by its unguessable id (shared by the pupil)",
    "badges:status_list": "the revocation list every verifier of a badge fetches",
    "badges:verify": "the verification page a pupil's share link opens (no sign-in, noindex)",
}

# Routes of objects every teacher of the victim's school shares, so the victim's colleague teacher is one
# of their owners, not an outsider: the school's own test catalog, written by all its teachers together
# (docs/design.md §3). Every other outsider is still swept on them.
SHARED_WITH_COLLEAGUES = frozenset(
    (
        "exams:write_list",  # lists the school's tests, the victim's among them
        "exams:write_new",  # answers with that list when a form is refused
        "exams:write_exam",
        "exams:write_draft_next",
        "exams:write_settings",
        "exams:write_badge",
        "exams:write_problems",
        "exams:write_publish",
        "exams:write_passage_add",
        "exams:write_passage",
        "exams:write_passage_move",
        "exams:write_passage_delete",
        "exams:write_question_add",
        "exams:write_question",
        "exams:write_question_move",
        "exams:write_question_duplicate",
        "exams:write_question_delete",
        # The author's preview, regrading and JSON export of the school's test
        "exams:version_preview",
        "exams:version_preview_question",
        "exams:version_preview_submit",  # the would-be score of that preview (writes nothing)
        "exams:question_regrade",
        "exams:exam_export_json",
    )
)


def sign_in(user: User | None) -> Client:
    """A browser's client: the sign-in page for its CSRF cookie, then the real sign-in form."""
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("classrooms:login"))
    if user is not None:
        answer = client.post(
            reverse("classrooms:login"),
            {"username": user.login_id, "password": PASSWORD, "csrfmiddlewaretoken": csrf_token(client)},
        )
        assert answer.status_code == 302, f"{user.login_id} could not sign in"
        if two_factor.must_use(user):  # the second step, through its form, with a code of their app
            answer = client.post(
                reverse("classrooms:two_factor_verify"),
                {"code": authenticator_code(user), "csrfmiddlewaretoken": csrf_token(client)},  # rotated at sign-in
            )
            assert answer.status_code == 302, f"{user.login_id} could not give the second factor"
        home = client.get(reverse("classrooms:home"))
        # Half signed in (a second factor still to give) would sweep nothing: every answer a redirect.
        landed = (home.status_code, home.get("Location"))
        assert landed == (302, reverse(HOME_BY_ROLE[user.role])), f"{user.login_id} is not fully signed in: {landed}"
    return client


def authenticator_code(user: User) -> str:
    """A fresh recovery code of the user (docs/design.md §1): unlike an app code, which works once per
    30 s window, one is good for each of the sweep's sign-ins of the same person.
    """
    device, _created = StaticDevice.objects.get_or_create(user=user, name="recovery", defaults={"confirmed": True})
    return device.token_set.create(token=StaticToken.random_token()).token


def csrf_token(client: Client) -> str:
    """The token a page of this session would carry (the cookie's secret: Django accepts it too)."""
    return client.cookies[settings.CSRF_COOKIE_NAME].value


def refusal_problem(response) -> str | None:
    """None when the answer is a refusal; else what is wrong with it."""
    if response.status_code in (403, 404, 405):
        return None
    if response.status_code in (301, 302):
        if urlsplit(response["Location"]).path in {reverse(name) for name in SIGN_IN_PAGES}:
            return None
        return f"redirects to {response['Location']}"
    return f"answers {response.status_code}"


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture(scope="class")
def world(django_db_setup, django_db_blocker):
    """Both schools and their signed-in browsers, built once for the class in a transaction rolled back at its end.

    Each test runs in a savepoint of its own (pytest-django's `db`), so nothing one route's request
    did is seen by the next.
    """
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS), transaction.atomic():
        built = sweep.World()
        people = {"anonymous": None, **built.attackers, **built.victims, "operator": built.owners["operator"]}
        built.payload = sweep.form_payload(built)
        built.clients = {label: sign_in(user) for label, user in people.items()}
        built.owner_clients = {label: sign_in(user) for label, user in built.owners.items()}
        built.cookies = {label: copy.deepcopy(client.cookies) for label, client in built.clients.items()}
        yield built
        transaction.set_rollback(True)


def _request(client: Client, method: str, path: str, payload: dict | None = None):
    """GET, or POST a filled form with the session's CSRF token (as the form field and as htmx's header)."""
    if method == "get":
        return client.get(path)
    token = csrf_token(client)
    return client.post(path, {**(payload or {}), "csrfmiddlewaretoken": token}, HTTP_X_CSRFTOKEN=token)


def _sweep_one(world, route: sweep.Route, path: str, label: str, client: Client) -> list[str]:
    problems = []
    allowed = OPEN.get(route.name)
    is_open = allowed is not None and ROLE_OF[label] in allowed.roles
    for method in METHODS:
        before = sweep.fingerprint() if method == "post" else None
        response = _request(client, method, path, world.payload)
        where = f"{method.upper()} {path} as {label}"
        if route.name in PUBLIC:
            wanted = 200 if method == "get" else 405
            problem = None if response.status_code == wanted else f"answers {response.status_code}, not {wanted}"
        else:
            problem = None if is_open else refusal_problem(response)
        if problem:
            problems.append(f"{where} {problem}")
        if "403_csrf.html" in {template.name for template in response.templates}:
            problems.append(f"{where}: the CSRF token was refused, so this POST proved nothing")
        if sweep.CANARY.encode() in body_of(response) and not (is_open and allowed.discloses):
            problems.append(f"{where} shows the victim's data")
        if before is not None and not (is_open and allowed.writes):
            changes = sweep.fingerprint_changes(before, sweep.fingerprint())
            if changes:
                problems.append(f"{where} changed the database: {changes}")
    return problems


def _reached(route: sweep.Route, client: Client, path: str) -> bool:
    """Does this request get past the route's access check to a live object?

    Not a 404 nor a sign-in redirect; on the console, also not the redirect to its index that Django's
    admin answers for an object that does not exist, while its 403 means "exists, but not this action"
    (the console's pages are read-only).
    """
    response = client.get(path)
    if response.status_code == 405:
        response = _request(client, "post", path)
    if route.is_console:
        if response.status_code == 403:
            return True
        if response.status_code == 302 and urlsplit(response["Location"]).path == reverse("admin:index"):
            return False
    return response.status_code not in (403, 404) and refusal_problem(response) is not None


# Routes whose filled URL nobody reaches, and why the sweep still means something for them.
UNREACHABLE = {
    "admin:view_on_site": "no model has get_absolute_url, so Django's shortcut is a 404 for everyone",
}


class TestHttpRoutes:
    """Every URL pattern; the two schools are built once for the class (the websocket sweep below needs its own)."""

    @pytest.mark.parametrize("route", HTTP_ROUTES, ids=[route.name for route in HTTP_ROUTES])
    def test_no_route_serves_another_school_or_a_lower_role(self, world, db, route):
        values, missing = sweep.fill(world, route)
        assert not missing, sweep.teach_message(route, missing)
        path = route.path(values)
        problems = []
        for label, client in world.clients.items():
            if label == "operator" and route.is_console:
                continue
            if label == "victim_colleague" and route.name in SHARED_WITH_COLLEAGUES:
                continue
            client.cookies = copy.deepcopy(world.cookies[label])  # a sign-out by the route before is forgotten
            problems += _sweep_one(world, route, path, label, client)
        assert not problems, "\n".join(problems)

    @pytest.mark.parametrize(
        "route",
        [route for route in HTTP_ROUTES if route.kwargs],
        ids=[route.name for route in HTTP_ROUTES if route.kwargs],
    )
    def test_the_fillers_aim_at_objects_their_owners_reach(self, world, db, route):
        """The other half of the sweep: the same URL works for someone of the victim's school (or the operator).

        Without it, a filler pointing at nothing would make every refusal above meaningless.
        """
        values, missing = sweep.fill(world, route)
        assert not missing, sweep.teach_message(route, missing)
        path = route.path(values)
        reached_by = [label for label, client in world.owner_clients.items() if _reached(route, client, path)]
        assert reached_by or route.name in UNREACHABLE, (
            f"nobody of the victim's school reaches {path}: its filler aims at nothing usable"
        )

    @pytest.mark.parametrize("label", ["org_admin", "teacher"])
    def test_an_arrival_by_another_schools_login_id_discloses_and_changes_nothing(self, world, db, label):
        """A login id without its transfer code (docs/design.md §7): the generic refusal, and nothing but
        the refusal's own line in the filing school's audit log (it throttles repeated guesses).
        """
        client = world.clients[label]
        client.cookies = copy.deepcopy(world.cookies[label])
        pupil = world.victim["examinee"]
        payload = {**world.payload, "login_id": pupil.login_id, "code": "ABCD-EFGH-JKLM"}
        before, audit_before = sweep.fingerprint(), set(AuditEntry.objects.values_list("pk", flat=True))
        response = _request(client, "post", reverse("classrooms:transfer_examinee_arrival"), payload)
        assert sweep.CANARY.encode() not in body_of(response)
        assert pupil.name.encode() not in body_of(response)
        changed = {change.split(":", 1)[0] for change in sweep.fingerprint_changes(before, sweep.fingerprint())}
        assert changed == {"classrooms_auditentry", "classrooms_auditchain"}  # the entry, and its chain's head
        written = AuditEntry.objects.exclude(pk__in=audit_before)
        assert [(entry.organization_id, entry.action) for entry in written] == [
            (world.attacker_org.pk, "transfer.examinee_in.code_refused")
        ]
        assert pupil.login_id not in str(written[0].details)


def test_the_open_pages_are_real_routes_without_ids():
    """An entry of OPEN can never let an id through, and a route that is gone leaves no stale entry."""
    by_name = {route.name: route for route in HTTP_ROUTES}
    assert set(OPEN) <= set(by_name), set(OPEN) - set(by_name)
    assert [name for name in OPEN if by_name[name].kwargs] == []


def test_the_sweep_covers_every_route_role_and_method(record_property):
    console = sum(route.is_console for route in HTTP_ROUTES)
    swept = (len(HTTP_ROUTES) * len(ROLE_OF) - console) * len(METHODS)
    record_property("http_requests_swept", swept)
    assert len(HTTP_ROUTES) >= MINIMUM_HTTP_ROUTES, f"the sweep found {len(HTTP_ROUTES)} routes"
    assert len(SOCKET_ROUTES) >= MINIMUM_SOCKET_ROUTES, f"the sweep found {len(SOCKET_ROUTES)} websocket routes"
    assert {route.name for route in HTTP_ROUTES} >= {"admin:index", "admin:classrooms_user_change"}


async def _frames(socket) -> list[dict]:
    """Everything the server sent before it fell quiet (a refused socket has sent its close already)."""
    frames = []
    while not await socket.receive_nothing(timeout=0.2):
        frames.append(await socket.receive_output())
    return frames


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", SOCKET_ROUTES, ids=[route.name for route in SOCKET_ROUTES])
async def test_no_socket_serves_another_school_or_a_lower_role(settings, route):
    """Through the whole ASGI stack with the site's Origin: a route with an id is refused, and no frame
    to anyone carries the victim's words (the inbox, without ids, opens on one's own conversations).
    """
    settings.CHANNEL_LAYERS = IN_MEMORY_LAYER
    world = await db(sweep.World)
    values, missing = await db(sweep.fill, world, route)
    assert not missing, sweep.teach_message(route, missing)
    sockets, problems = Sockets(), []
    try:
        outsiders = {"anonymous": None, **world.attackers, **world.victims, "operator": world.owners["operator"]}
        for label, user in outsiders.items():
            socket, connected, _detail = await sockets.connect(route.path(values), user)
            frames = await _frames(socket) if connected else []
            if connected and route.kwargs:
                problems.append(f"{route.path(values)} accepted {label}")
            if sweep.CANARY in repr(frames):
                problems.append(f"{route.path(values)} sent the victim's data to {label}: {frames}")
        # The control: the same path opens for someone of the victim's school, so the id is live.
        owners_in = [
            label for label, user in world.owners.items() if (await sockets.connect(route.path(values), user))[1]
        ]
        if not owners_in:
            problems.append(f"nobody of the victim's school opens {route.path(values)}: its filler aims at nothing")
    finally:
        await sockets.close_all()
    assert not problems, "\n".join(problems)
