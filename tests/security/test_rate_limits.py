"""Per-user rate limits on the POSTs where a flood hurts (config/ratelimits.py, docs/design.md §10.6).

A flood is refused with 429 and words in Japanese; one user's flood never refuses another; the
honest peak of a whole class (docs/benchmarks.md, "Rate limits: the honest peak") never is.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from types import SimpleNamespace

import django_ratelimit.core
import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from redis.exceptions import ConnectionError as RedisConnectionError

from classrooms.models import User
from config import ratelimits
from exams.models import Attempt
from messaging.services import message_send
from proctoring.services import seat_take, session_start
from tests.conftest import connect, enroll, make_user
from tests.exams.conftest import new_draft
from tests.servers import redis_url_or_own

pytestmark = pytest.mark.django_db

# The honest peak of one pupil's answer saves in any minute, from static/js/attempt.js (one POST per
# changed choice, one at a time; a resend after a reconnect is at most one per question):
# 3 changed choices a second for a whole minute, plus the resend of a 20-question test.
HONEST_ANSWER_PEAK = 3 * 60 + 20
CLASS_SIZE = 40


@pytest.fixture(autouse=True)
def one_window(monkeypatch):
    """The counts are per fixed window (a minute for "600/m"): the clock stands still during a test, so a
    window ending in the middle of it can neither hide a refusal nor make one.
    """
    now = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now))


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="classrooms.backends.MembershipBackend")
    return client


def running_attempt(session, examinee, teacher) -> Attempt:
    seat, _attempt = seat_take(session=session, examinee=examinee)
    connect(seat, f"test-{examinee.pk}")
    if session.status != "running":
        session_start(session=session, by=teacher)
    return Attempt.objects.get(session=session, examinee=examinee)


def save(client: Client, attempt: Attempt, seq: int):
    return client.post(
        reverse("exams:answer_save", args=[attempt.pk]),
        data=json.dumps({"position": seq % 2, "choice": seq % 3, "seq": seq}),
        content_type="application/json",
    )


@pytest.fixture
def attempt(proctored_session, examinee, teacher) -> Attempt:
    return running_attempt(proctored_session, examinee, teacher)


# --- Answer saves ---------------------------------------------------------------------------


def test_a_flood_of_answer_saves_is_refused_with_429_in_japanese(settings, examinee, attempt):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "answer": "5/m"}
    client = signed_in(examinee)

    statuses = [save(client, attempt, seq).status_code for seq in range(1, 9)]

    assert statuses == [200] * 5 + [429] * 3
    refused = save(client, attempt, 9)
    body = refused.json()
    assert (body["saved"], body["error"]) == (False, "rate_limited")
    assert "解答はこの端末に保存されていて" in body["message"]
    assert 1 <= body["retry_after"] <= 60
    assert refused["Retry-After"] == str(body["retry_after"])
    attempt.refresh_from_db()
    assert attempt.questions.get(position=1).save_seq == 5, "a refused save changes nothing"


def test_one_pupils_flood_does_not_refuse_a_classmate(
    settings, organization, proctored_session, teacher, examinee, school_class
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "answer": "5/m"}
    classmate = make_user("classmate", User.Role.EXAMINEE, organization)
    enroll(school_class, classmate, number=2)
    flooded = running_attempt(proctored_session, examinee, teacher)
    other = running_attempt(proctored_session, classmate, teacher)
    flooder = signed_in(examinee)
    for seq in range(1, 10):
        save(flooder, flooded, seq)

    assert save(flooder, flooded, 10).status_code == 429
    assert save(signed_in(classmate), other, 1).status_code == 200


def test_a_pupils_honest_peak_through_the_endpoint_is_never_refused(examinee, attempt):
    client = signed_in(examinee)

    statuses = {save(client, attempt, seq).status_code for seq in range(1, HONEST_ANSWER_PEAK + 1)}

    assert statuses == {200}


def test_a_whole_class_at_its_honest_peak_is_never_refused(organization):
    """40 pupils, each at the peak within one window, counted by the configured limit."""
    pupils = [make_user(f"pupil-{number}", User.Role.EXAMINEE, organization) for number in range(CLASS_SIZE)]
    factory = RequestFactory()
    refused = 0
    for _round in range(HONEST_ANSWER_PEAK):
        for pupil in pupils:
            request = factory.post("/exam/attempts/1/answers/")
            request.user = pupil
            refused += ratelimits.seconds_to_wait(request, "answer") is not None

    assert refused == 0
    # ... and the same count plus the configured limit again is refused: the limit is real.
    request = factory.post("/exam/attempts/1/answers/")
    request.user = pupils[0]
    limit = int(ratelimits.settings.RATE_LIMITS["answer"].split("/")[0])
    waits = [ratelimits.seconds_to_wait(request, "answer") for _ in range(limit)]
    assert waits[-1] is not None


def test_an_unreachable_cache_lets_answers_through(monkeypatch, settings, examinee, attempt):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "answer": "1/m"}

    def unreachable(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(ratelimits, "get_usage", unreachable)
    client = signed_in(examinee)

    assert [save(client, attempt, seq).status_code for seq in (1, 2, 3)] == [200, 200, 200]


def test_gets_are_not_counted(settings, examinee, attempt):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "answer": "1/m"}
    client = signed_in(examinee)
    request = RequestFactory().get("/")
    request.user = examinee
    for _ in range(5):
        assert ratelimits.seconds_to_wait(request, "answer") is None

    assert save(client, attempt, 1).status_code == 200


# --- Messages, notices, roster imports, passwords -----------------------------------------------


def test_a_flood_of_messages_in_a_conversation_keeps_the_text_and_says_why(settings, teacher, examinee):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "message": "2/m"}
    thread = message_send(by=examinee, recipient=teacher, body="質問です").thread
    client = signed_in(teacher)
    url = reverse("messaging:thread_send", args=[thread.pk])
    for number in range(2):
        assert client.post(url, {"body": f"返事 {number}"}, headers={"HX-Request": "true"}).status_code == 200

    refused = client.post(url, {"body": "三通目の本文"}, headers={"HX-Request": "true"})

    assert refused.status_code == 429
    page = refused.content.decode()
    assert "短い時間にメッセージを送りすぎました" in page
    assert "三通目の本文" in page, "what was typed is still in the form"
    assert refused["HX-Retarget"] == "#send-form"
    assert thread.messages.count() == 3


# group: (who floods, the URL, the form's other fields, whether the URL also shows a page on GET)
FLOODS = {
    "message": ("examinee", "messaging:message_new", (), True),
    "notice": ("teacher", "messaging:notice_new", ("school_class",), True),
    "roster_import": ("teacher", "classrooms:teacher_roster_import", ("school_class",), True),
    "password": ("org_admin", "classrooms:orgadmin_teacher_password", ("teacher",), False),
}


@pytest.mark.parametrize("group", FLOODS)
def test_a_flood_gets_the_429_page_in_japanese(settings, group, teacher, examinee, org_admin, school_class):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, group: "2/m"}
    persona, url_name, url_args, has_page = FLOODS[group]
    people = {"teacher": teacher, "examinee": examinee, "org_admin": org_admin, "school_class": school_class}
    client = signed_in(people[persona])
    url = reverse(url_name, args=[people[name].pk for name in url_args])
    data = {"recipient": teacher.pk, "body": "本文"}

    statuses = [client.post(url, data).status_code for _ in range(3)]

    assert 429 not in statuses[:2]
    assert statuses[2] == 429
    refused = client.post(url, data)
    assert refused.status_code == 429
    assert "短い時間に何度も送信されたため" in refused.content.decode()
    assert int(refused["Retry-After"]) >= 1
    if has_page:
        assert client.get(url).status_code == 200, "the page is still shown: only POSTs count"


def test_own_password_changes_are_limited(settings, teacher):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password": "2/m"}
    client = signed_in(teacher)
    url = reverse("classrooms:password_change")
    wrong = {"old_password": "wrong", "new_password1": "a-new-pass-123", "new_password2": "a-new-pass-123"}

    statuses = [client.post(url, wrong).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


# --- The test editor ---------------------------------------------------------------------------------

# An autosave follows 0.8 s without typing (templates/exams/editor/, hx-trigger "delay:800ms"): one form
# typed into without stopping saves at most 75 times a minute; two forms at once is an author's peak.
HONEST_AUTHORING_PEAK = 2 * 75


def _settings(title: str) -> dict:
    return {"title": title, "time_limit_minutes": 10, "pass_mark_percent": 50, "questions_per_attempt": 1}


@pytest.fixture
def draft(organization, teacher):
    return new_draft(organization, teacher, code="weekly", title="週テスト", questions_per_attempt=1)[1]


def test_a_flood_of_editor_saves_is_refused_and_the_last_save_kept(settings, teacher, draft):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "authoring": "3/m"}
    client = signed_in(teacher)
    url = reverse("exams:write_settings", args=[draft.exam_id])
    for number in range(3):
        assert client.post(url, _settings(f"題 {number}"), headers={"HX-Request": "true"}).status_code == 200

    refused = client.post(url, _settings("題 3"), headers={"HX-Request": "true"})

    assert refused.status_code == 429  # the editor's page says "not saved" and keeps what was typed
    assert int(refused["Retry-After"]) > 0
    draft.refresh_from_db()
    assert draft.title == "題 2"


def test_an_authors_honest_peak_of_autosaves_is_never_refused(teacher, draft):
    client = signed_in(teacher)
    url = reverse("exams:write_settings", args=[draft.exam_id])
    statuses = {
        client.post(url, _settings(f"題 {n}"), headers={"HX-Request": "true"}).status_code
        for n in range(HONEST_AUTHORING_PEAK)
    }
    assert statuses == {200}


# --- Several server processes count together ----------------------------------------------------

# One server process: three notices by one user, through the cache of config/settings.py.
THREE_NOTICES = """
import django, os
django.setup()
from django.test import RequestFactory
from config.ratelimits import seconds_to_wait
class Teacher:
    pk = int(os.environ["TEST_USER_ID"])
request = RequestFactory().post("/")
request.user = Teacher()
print(*("refused" if seconds_to_wait(request, "notice") else "ok" for _ in range(3)))
"""


@pytest.mark.redis
def test_processes_count_one_users_requests_together_on_redis(tmp_path):
    for url in redis_url_or_own(tmp_path):
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "REDIS_URL": url,
            "RATE_LIMIT_NOTICE": "5/d",  # a day's window: two processes a second apart share it
            "TEST_USER_ID": str(10**9 + secrets.randbelow(10**9)),  # no count of an earlier run
        }
        runs = [
            subprocess.run(  # noqa: S603 - this interpreter, this test's own script
                [sys.executable, "-c", THREE_NOTICES], env=environment, capture_output=True, text=True, check=True
            ).stdout.split()
            for _process in range(2)
        ]

        assert runs == [["ok", "ok", "ok"], ["ok", "ok", "refused"]]
