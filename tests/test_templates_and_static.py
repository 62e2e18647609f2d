"""Rules for the templates and the static files that no single page's test would notice."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import get_template
from django.urls import reverse
from django.utils import translation

from exams.views.attempts import ATTEMPT_TEXT, WAITING_ROOM_TEXT
from messaging.services import message_send
from proctoring.services import seat_take, session_start
from proctoring.views import DASHBOARD_TEXT
from tests.conftest import connect

ROOT = Path(settings.BASE_DIR)
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
SCRIPTS = sorted((ROOT / "static" / "js").glob("*.js"))


def _name(path: Path) -> str:
    return path.relative_to(ROOT / "templates").as_posix()


@pytest.mark.parametrize("path", TEMPLATES, ids=_name)
def test_every_template_compiles(path):
    get_template(_name(path))


@pytest.mark.parametrize("path", TEMPLATES, ids=_name)
def test_no_template_has_inline_style(path):
    """Looks live in static/css: no style attribute, no <style> block."""
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"\sstyle\s*=|<style\b", text)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: path.name)
def test_no_script_sets_inline_style(path):
    """Scripts switch classes (or set a CSS custom property for a value that changes), never element.style.x."""
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"\.style\.(?!setProperty\()\w+|\.style\s*=|\.style\[|cssText", text)


# --- The words of the page's scripts: one #i18n block (static/js/kantoku.js) -----------------------


def _embedded(page: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page, re.S)
    return None if match is None else json.loads(match.group(1))


def _script_keys(script: str) -> set[str]:
    """The words a script takes by name: text.key."""
    return set(re.findall(r"\btext\.(\w+)", (ROOT / "static" / "js" / script).read_text(encoding="utf-8")))


@pytest.mark.django_db
def test_the_exam_pages_get_their_words_in_the_i18n_block_in_the_pupils_language(
    client_of, examinee, proctored_session, teacher
):
    client = client_of(examinee)
    seat, _attempt = seat_take(session=proctored_session, examinee=examinee)
    waiting = client.get(reverse("exams:waiting_room", args=[proctored_session.pk]), headers={"accept-language": "ja"})
    words = _embedded(waiting.content.decode(), "i18n")
    assert set(words) == set(WAITING_ROOM_TEXT) >= _script_keys("waiting_room.js")
    with translation.override("ja"):
        assert words["refused"] == str(WAITING_ROOM_TEXT["refused"]) != "You cannot join this test. Ask your teacher."
    assert "strings" not in _embedded(waiting.content.decode(), "exam-config")

    connect(seat, "test-channel")
    session_start(session=proctored_session, by=teacher)
    attempt = proctored_session.attempts.get(examinee=examinee)
    page = client.get(reverse("exams:attempt", args=[attempt.pk]), headers={"accept-language": "en"}).content.decode()
    words = _embedded(page, "i18n")
    assert set(words) == set(ATTEMPT_TEXT) >= _script_keys("attempt.js")
    assert words["confirmUnanswered"] == "Questions without an answer: %(count)s."
    assert "strings" not in _embedded(page, "exam-config")


@pytest.mark.django_db
def test_the_dashboard_gets_its_words_in_the_i18n_block(client_of, teacher, proctored_session):
    page = client_of(teacher).get(reverse("proctoring:dashboard", args=[proctored_session.pk])).content.decode()
    words = _embedded(page, "i18n")
    assert set(words) == set(DASHBOARD_TEXT) >= _script_keys("proctor.js")
    assert {f"{action}_label" for action in ("warn", "pause", "resume", "extend", "report")} <= set(words)
    assert "text" not in _embedded(page, "proctor-config")


@pytest.mark.django_db
def test_a_conversation_gets_the_receipts_words_in_the_i18n_block(client_of, teacher, examinee):
    message = message_send(by=teacher, recipient=examinee, body="こんにちは")
    page = client_of(teacher).get(
        reverse("messaging:thread", args=[message.thread_id]), headers={"accept-language": "en"}
    )
    words = _embedded(page.content.decode(), "i18n")
    assert words == {"sent": "Sent", "delivered": "Delivered", "read": "Read", "you": "You"}
    assert _script_keys("inbox.js") <= set(words)


@pytest.mark.django_db
def test_a_page_without_words_for_scripts_has_no_i18n_block(client_of, teacher, school_class):
    page = client_of(teacher).get(reverse("classrooms:teacher_roster", args=[school_class.pk])).content.decode()
    assert _embedded(page, "i18n") is None


def test_only_kantoku_js_reads_the_words_and_no_script_reads_others():
    """One way: the #i18n block, read by static/js/kantoku.js (window.KantokuI18n); nothing else carries words."""
    readers = [path.name for path in SCRIPTS if 'getElementById("i18n")' in path.read_text(encoding="utf-8")]
    assert readers == ["kantoku.js"]
    for path in SCRIPTS:
        text = path.read_text(encoding="utf-8")
        assert ".strings" not in text, path.name
        assert "config.text" not in text, path.name
        assert "messaging-text" not in text, path.name
