"""Revoking a result (docs/design.md §5): final and idempotent, gone from every result screen, told to the examinee,
and what remains is an audit record of ids (who, when, why, which incident).
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.urls import reverse

from classrooms.models import AuditEntry
from config.errors import ServiceError
from exams import services as exam_services
from exams.models import Attempt
from exams.results import class_summary, results_for_class, results_for_examinee
from proctoring import services
from proctoring.models import Incident, ProctoredSession, Revocation
from tests.exams.test_results import finished_attempt
from tests.proctoring.conftest import ProctoringSockets
from tests.websockets import IN_MEMORY_LAYER, db, receive_type, receive_until, signed_in

pytestmark = pytest.mark.django_db

OUTSIDERS = ["other_teacher", "foreign_teacher", "foreign_org_admin", "examinee", "operator"]
REASON = "Copying the questions during the test is not allowed, so this result does not count."
NOTE = "Private: the pupil's older brother was in the room"


@pytest.fixture(autouse=True)
def english(settings):
    """These tests read the page's words; the English source strings are the stable ones."""
    settings.LANGUAGE_CODE = "en"


def revoke_url(attempt, **query) -> str:
    url = reverse("proctoring:result_revoke", args=[attempt.pk])
    return url + "".join(f"?{key}={value}" for key, value in query.items())


@pytest.fixture
def result(examinee, proctored_session) -> Attempt:
    return finished_attempt(proctored_session, examinee, score=9)


# --- Who may revoke ------------------------------------------------------------------------------


def test_the_sessions_teacher_revokes_with_a_reason(client_of, teacher, result, proctored_session):
    client = client_of(teacher)
    page = client.get(revoke_url(result)).content.decode()
    assert "Revoking is final." in page
    assert 'data-confirm="' in page
    response = client.post(revoke_url(result), {"reason": REASON, "back": "report"})
    assert response.status_code == 302
    assert response.url == reverse("proctoring:session_report", args=[proctored_session.pk])
    revocation = Revocation.objects.get()
    assert (revocation.attempt, revocation.revoked_by, revocation.reason, revocation.incident) == (
        result,
        teacher,
        REASON,
        None,
    )


def test_an_org_admin_revokes_and_returns_to_the_class_results(client_of, org_admin, result, school_class):
    response = client_of(org_admin).post(revoke_url(result), {"reason": REASON, "back": "results"})
    assert response.status_code == 302
    assert response.url == reverse("exams:org_class_results", args=[school_class.pk])
    assert Revocation.objects.get().revoked_by == org_admin


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_outsiders_get_404_and_revoke_nothing(request, client_of, result, outsider):
    client = client_of(request.getfixturevalue(outsider))
    assert client.get(revoke_url(result)).status_code == 404
    assert client.post(revoke_url(result), {"reason": REASON}).status_code == 404
    assert not Revocation.objects.exists()


def test_anonymous_is_sent_to_sign_in(client, result):
    response = client.post(revoke_url(result), {"reason": REASON})
    assert response.status_code == 302
    assert response.url.startswith(reverse("classrooms:login"))
    assert not Revocation.objects.exists()


def test_a_colleague_who_teaches_the_class_now_cannot_revoke_a_result_they_did_not_proctor(
    client_of, other_teacher, result, school_class
):
    school_class.teacher = other_teacher
    school_class.save(update_fields=["teacher"])
    assert client_of(other_teacher).post(revoke_url(result), {"reason": REASON}).status_code == 404
    assert not Revocation.objects.exists()


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_reason_of_1_to_500_characters_is_required(client_of, teacher, result, reason):
    response = client_of(teacher).post(revoke_url(result), {"reason": reason})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    with pytest.raises(ServiceError):
        services.result_revoke(attempt=result, by=teacher, reason=reason)
    assert not Revocation.objects.exists()


# --- Final and idempotent ----------------------------------------------------------------------


def test_revoking_twice_changes_nothing(client_of, teacher, org_admin, result):
    first = services.result_revoke(attempt=result, by=teacher, reason=REASON)
    again = services.result_revoke(attempt=result, by=org_admin, reason="another reason")
    assert again == first
    assert again.reason == REASON
    assert again.revoked_by == teacher
    client_of(teacher).post(revoke_url(result), {"reason": "yet another"})
    assert Revocation.objects.count() == 1
    assert AuditEntry.objects.filter(action="result.revoke").count() == 1
    page = client_of(teacher).get(revoke_url(result)).content.decode()
    assert "Revocation is final." in page
    assert "<textarea" not in page


# --- Gone from every result screen ---------------------------------------------------------------


def test_a_revoked_result_is_gone_from_history_class_page_chart_counts_and_csv(
    client_of, teacher, examinee, org_admin, school_class, proctored_session
):
    from tests.exams.test_class_results import pupil, rows_of

    kept_pupil = pupil(school_class.organization, school_class, "sakura-kept", "残る 子", number=2)
    kept = finished_attempt(proctored_session, kept_pupil, score=5)
    revoked = finished_attempt(proctored_session, examinee, score=10)
    services.result_revoke(attempt=revoked, by=teacher, reason=REASON)

    assert list(results_for_examinee(examinee)) == []
    assert list(results_for_class(school_class)) == [kept]
    summary = class_summary(results_for_class(school_class))
    assert (summary.count, summary.passed, summary.buckets[-1].count) == (1, 0, 0)

    history = client_of(examinee).get(reverse("exams:history"))
    assert list(history.context["results"]) == []
    assert "10 / 10" not in history.content.decode()
    assert "Revoked results" in history.content.decode()  # a notice that links to why, no score

    for who, url in (
        (teacher, reverse("exams:class_results", args=[school_class.pk])),
        (org_admin, reverse("exams:org_class_results", args=[school_class.pk])),
    ):
        page = client_of(who).get(url)
        assert [row.examinee for row in page.context["results"]] == [kept_pupil]
        assert page.context["summary"].count == 1
        assert [bar.count for bar in page.context["chart"].bars][-1] == 0  # 100 % was the revoked one
        assert examinee.name not in page.content.decode()

    rows = rows_of(client_of(teacher).get(reverse("exams:class_results_export", args=[school_class.pk])))
    assert [row[2] for row in rows[1:]] == ["sakura-kept"]


def test_the_class_results_page_leads_to_the_pupils_detail_where_revoking_is(client_of, teacher, result, school_class):
    client = client_of(teacher)
    page = client.get(reverse("exams:class_results", args=[school_class.pk])).content.decode()
    detail = reverse("proctoring:session_report", args=[result.session_id]) + f"#examinee-{result.examinee_id}"
    assert detail in page
    assert revoke_url(result) not in page, "no revoke button on every row of the class results"
    report = client.get(reverse("proctoring:session_report", args=[result.session_id])).content.decode()
    assert revoke_url(result) in report


def test_the_examinee_reads_that_the_result_was_revoked_and_why_never_the_note(
    client_of, teacher, examinee, result, proctored_session
):
    incident = services.incident_report(
        session=proctored_session, subject=examinee, by=teacher, category="leaking", note=NOTE
    )
    services.result_revoke(attempt=result, by=teacher, reason=REASON, incident=incident)
    response = client_of(examinee).get(reverse("exams:result", args=[result.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "This result was revoked" in page
    assert REASON in page
    assert NOTE not in page
    assert "9 out of 10" not in page
    assert "You passed" not in page
    assert "Leaking" not in page  # the incident itself is not the examinee's to read


# --- While the test runs ------------------------------------------------------------------------


@pytest.fixture
def running(proctored_session, examinee):
    ProctoredSession.objects.filter(pk=proctored_session.pk).update(status=ProctoredSession.Status.RUNNING)
    proctored_session.refresh_from_db()
    attempt, _created = exam_services.attempt_start(session=proctored_session, examinee=examinee)
    exam_services.answer_save(attempt=attempt, position=0, choice=1, seq=1)
    exam_services.answer_save(attempt=attempt, position=1, choice=2, seq=2)
    return attempt


def listen(layer, group: str) -> str:
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return channel


def frames(layer, channel: str) -> list[dict]:
    """Everything the channel has been sent so far (the in-memory layer holds it)."""
    received = []
    while channel in layer.channels and not layer.channels[channel].empty():
        event = async_to_sync(layer.receive)(channel)
        received.extend(event["frames"] if "frames" in event else [event["frame"]])  # to proctors, to examinees
    return received


def test_revoking_a_running_attempt_ends_it_and_tells_the_examinee_and_the_tile(
    settings, django_capture_on_commit_callbacks, teacher, examinee, proctored_session, running
):
    settings.CHANNEL_LAYERS = IN_MEMORY_LAYER
    layer = get_channel_layer()
    pupil = listen(layer, proctored_session.examinee_group(examinee.pk))
    proctor = listen(layer, proctored_session.proctor_group)

    with django_capture_on_commit_callbacks(execute=True):
        services.result_revoke(attempt=running, by=teacher, reason=REASON)

    running.refresh_from_db()
    assert running.status == Attempt.Status.FINISHED
    assert running.finish_reason == Attempt.FinishReason.REVOKED
    assert frames(layer, pupil) == [{"type": "ended", "reason": "revoked"}]
    tiles = [frame["examinee"] for frame in frames(layer, proctor) if frame["type"] == "examinee"]
    assert tiles[-1]["revoked"] is True
    assert tiles[-1]["state"] == "submitted"
    assert list(results_for_examinee(examinee)) == []


def test_revoking_a_handed_in_result_in_a_live_session_tells_the_examinee_once(
    settings, django_capture_on_commit_callbacks, teacher, examinee, proctored_session, running
):
    exam_services.attempt_finish(attempt=running, reason=Attempt.FinishReason.SUBMITTED)
    settings.CHANNEL_LAYERS = IN_MEMORY_LAYER
    layer = get_channel_layer()
    pupil = listen(layer, proctored_session.examinee_group(examinee.pk))
    with django_capture_on_commit_callbacks(execute=True):
        services.result_revoke(attempt=running, by=teacher, reason=REASON)
    assert frames(layer, pupil) == [{"type": "ended", "reason": "revoked"}]
    running.refresh_from_db()
    assert running.finish_reason == Attempt.FinishReason.SUBMITTED  # how it ended stays true


def test_nothing_is_broadcast_when_nothing_changes(
    settings, django_capture_on_commit_callbacks, teacher, examinee, proctored_session, result
):
    services.result_revoke(attempt=result, by=teacher, reason=REASON)
    settings.CHANNEL_LAYERS = IN_MEMORY_LAYER
    layer = get_channel_layer()
    pupil = listen(layer, proctored_session.examinee_group(examinee.pk))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.result_revoke(attempt=result, by=teacher, reason=REASON)
    assert callbacks == []
    assert frames(layer, pupil) == []


@pytest.mark.django_db(transaction=True)
async def test_through_the_sockets_the_examinees_page_is_told_and_the_tile_says_revoked(
    settings, teacher, examinee, proctored_session
):
    settings.CHANNEL_LAYERS = IN_MEMORY_LAYER
    sockets = ProctoringSockets()
    try:
        proctor, _snapshot = await sockets.proctor(teacher, proctored_session)
        await proctor.send_json_to({"type": "start"})
        await receive_type(proctor, "session")
        pupil, state = await sockets.examinee(examinee, proctored_session)
        attempt_id = state["attempt"]["id"]

        client = await signed_in(teacher)
        url = reverse("proctoring:result_revoke", args=[attempt_id])
        response = await db(client.post, url, {"reason": REASON})
        assert response.status_code == 302

        assert await receive_type(pupil, "ended") == {"type": "ended", "reason": "revoked"}
        frames_seen = await receive_until(
            proctor, lambda frame: frame["type"] == "examinee" and frame["examinee"]["revoked"]
        )
        assert frames_seen[-1]["examinee"]["state"] == "submitted"
        attempt = await db(Attempt.objects.get, pk=attempt_id)
        assert (attempt.status, attempt.finish_reason) == ("finished", "revoked")
    finally:
        await sockets.close_all()


# --- The chain, and what the audit log keeps ------------------------------------------------------


def test_the_chain_links_signal_incident_decision_and_revocation(teacher, examinee, proctored_session, result):
    from tests.proctoring.test_incidents import signal

    evidence = signal(proctored_session, examinee)
    incident = services.incident_report(
        session=proctored_session, subject=examinee, by=teacher, category="leaking", note=NOTE, signals=[evidence]
    )
    revocation = services.result_revoke(attempt=result, by=teacher, reason=REASON, incident=incident)
    incident.refresh_from_db()
    assert list(evidence.incidents.all()) == [incident]
    assert incident.action == Incident.Action.REVOKED
    assert not incident.is_open
    assert incident.resolved_by == teacher
    assert list(incident.revocations.all()) == [revocation]
    assert result.revocation == revocation
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["incident.report", "incident.resolve", "result.revoke"]
    entry = AuditEntry.objects.get(action="result.revoke")
    assert entry.details == {
        "attempt": result.pk,
        "session": proctored_session.pk,
        "incident": incident.pk,
        "examinee": examinee.login_id,
    }
    assert (entry.target_type, entry.target_id) == ("revocation", str(revocation.pk))


def test_an_incident_about_someone_else_cannot_be_linked(
    teacher, examinee, examinee_of_other_class, other_class, other_teacher, exam, result
):
    other_session = ProctoredSession.objects.create(school_class=other_class, exam=exam, teacher=other_teacher)
    elsewhere = services.incident_report(
        session=other_session, subject=examinee_of_other_class, by=other_teacher, category="talking"
    )
    with pytest.raises(ServiceError) as refused:
        services.result_revoke(attempt=result, by=teacher, reason=REASON, incident=elsewhere)
    assert refused.value.code == "bad_incident"
    assert not Revocation.objects.exists()


def test_the_revoke_form_offers_only_this_examinees_incidents_of_this_test(
    client_of, teacher, examinee, examinee_of_other_class, proctored_session, result
):
    own = services.incident_report(session=proctored_session, subject=examinee, by=teacher, category="talking")
    page = client_of(teacher).get(revoke_url(result, incident=own.pk))
    assert list(page.context["form"].fields["incident"].queryset) == [own]
    assert f'<option value="{own.pk}" selected>' in page.content.decode()


def test_audit_entries_hold_ids_never_answers_notes_or_reasons(
    client_of, teacher, org_admin, examinee, proctored_session, running
):
    incident = services.incident_report(
        session=proctored_session, subject=examinee, by=teacher, category="aids", note=NOTE
    )
    services.result_revoke(attempt=running, by=teacher, reason=REASON, incident=incident)
    services.incident_report(
        session=proctored_session, subject=teacher, by=org_admin, category="proctor_hints", note=NOTE
    )
    answers = [row.answer for row in running.questions.order_by("position") if row.answer is not None]
    assert answers == [1, 2]
    choice_texts = [choice.text for row in running.questions.all() for choice in row.question.choices.all()]
    entries = AuditEntry.objects.filter(action__in=["incident.report", "incident.resolve", "result.revoke"])
    assert entries.count() == 4
    for entry in entries:
        written = json.dumps(
            {"details": entry.details, "target": entry.target_label, "actor": entry.actor_label}, ensure_ascii=False
        )
        assert NOTE not in written
        assert REASON not in written
        assert not any(text in written for text in choice_texts)
        assert not {"answer", "answers", "choice", "choices", "score", "note", "reason"} & set(entry.details)
        assert answers not in entry.details.values()
    log = client_of(org_admin).get(reverse("classrooms:orgadmin_audit_log")).content.decode()
    for label in ("Incident recorded", "Incident decided", "Result revoked"):
        assert label in log


def test_the_session_report_csv_of_a_revocation_has_the_reason_but_not_the_note(
    client_of, teacher, examinee, proctored_session, result
):
    incident = services.incident_report(
        session=proctored_session, subject=examinee, by=teacher, category="leaking", note=NOTE
    )
    services.result_revoke(attempt=result, by=teacher, reason=REASON, incident=incident)
    response = client_of(teacher).get(reverse("proctoring:session_report_export", args=[proctored_session.pk]))
    text = response.content.decode("utf-8")
    assert NOTE not in text
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    revoked = [row for row in rows if row[3] == "結果の取消"]
    assert revoked
    assert revoked[0][-1] == REASON
