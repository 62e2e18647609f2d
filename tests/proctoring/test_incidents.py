"""Incidents (docs/design.md §5): who records them about whom, in which categories, with which signals; deciding them."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from classrooms.models import AuditEntry, Membership
from classrooms.schoolyear import today
from config.errors import ServiceError
from proctoring import services
from proctoring.live import tile
from proctoring.models import Incident, Signal, category_label
from tests.proctoring.test_session_views import embedded_json

pytestmark = pytest.mark.django_db

OUTSIDERS = ["other_teacher", "foreign_teacher", "foreign_org_admin", "examinee", "operator"]
DIALOG = {"HX-Request": "true", "HX-Target": "incident-dialog-body"}  # as the dashboard's htmx.ajax sends them
NOTE = "Looked at a phone under the desk twice; private remark about the family"


@pytest.fixture(autouse=True)
def english(settings):
    """These tests read the page's words; the English source strings are the stable ones."""
    settings.LANGUAGE_CODE = "en"


def signal(session, examinee, kind=Signal.Kind.FOCUS_LOST, *, count=1, duration_ms=None, seconds_ago=60) -> Signal:
    at = timezone.now() - datetime.timedelta(seconds=seconds_ago)
    return Signal.objects.create(
        session=session, examinee=examinee, kind=kind, count=count, duration_ms=duration_ms, at=at, last_at=at
    )


def new_url(session, examinee) -> str:
    return reverse("proctoring:incident_new", args=[session.pk, examinee.pk])


def proctor_url(session) -> str:
    return reverse("proctoring:proctor_incident_new", args=[session.pk])


# --- Recording from the dashboard ----------------------------------------------------------------


def test_the_dialog_form_lists_the_examinees_own_signals_as_checkboxes(
    client_of, teacher, examinee, examinee_of_other_class, proctored_session
):
    own = signal(proctored_session, examinee, count=3, duration_ms=3500)
    other = signal(proctored_session, examinee_of_other_class)
    response = client_of(teacher).get(new_url(proctored_session, examinee), headers=DIALOG)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page  # a fragment for the dialog
    assert f'value="{own.pk}"' in page
    assert f'value="{other.pk}"' not in page
    assert "Left the test window ×3" in page
    assert "3.5 s" in page
    assert 'hx-post="' in page


def test_the_teacher_records_an_incident_with_its_signals_from_the_dialog(
    client_of, teacher, examinee, proctored_session
):
    first, second = signal(proctored_session, examinee), signal(proctored_session, examinee, Signal.Kind.COPY)
    response = client_of(teacher).post(
        new_url(proctored_session, examinee),
        {"category": "leaking", "note": NOTE, "signals": [first.pk, second.pk]},
        headers=DIALOG,
    )
    assert response.status_code == 200
    assert "Incident recorded" in response.content.decode()
    incident = Incident.objects.get()
    assert (incident.session, incident.subject, incident.reporter) == (proctored_session, examinee, teacher)
    assert incident.category == "leaking"
    assert incident.note == NOTE
    assert incident.is_open
    assert set(incident.signals.all()) == {first, second}
    entry = AuditEntry.objects.get(action="incident.report")
    assert entry.details == {
        "category": "leaking",
        "signals": sorted([first.pk, second.pk]),
        "session": proctored_session.pk,
        "examinee": examinee.login_id,
    }


def test_without_the_dialog_it_is_a_page_that_leads_back_to_the_report(client_of, teacher, examinee, proctored_session):
    client = client_of(teacher)
    page = client.get(new_url(proctored_session, examinee)).content.decode()
    assert "<html" in page
    assert "hx-post" not in page
    response = client.post(new_url(proctored_session, examinee), {"category": "talking"})
    assert response.status_code == 302
    assert response.url == reverse("proctoring:session_report", args=[proctored_session.pk])
    assert Incident.objects.get().category == "talking"


def test_the_tile_counts_the_examinees_incidents(teacher, examinee, proctored_session):
    assert tile(proctored_session, examinee.pk)["incidents"] == 0
    services.incident_report(session=proctored_session, subject=examinee, by=teacher, category="aids")
    assert tile(proctored_session, examinee.pk)["incidents"] == 1


def test_the_dashboard_has_a_report_button_for_the_teacher_only(client_of, teacher, org_admin, proctored_session):
    url = reverse("proctoring:dashboard", args=[proctored_session.pk])
    response = client_of(teacher).get(url)
    assert 'data-action="report"' in response.content.decode()
    assert 'id="incident-dialog"' in response.content.decode()
    config = embedded_json(response, "proctor-config")
    assert config["incident_url"] == f"/proctor/sessions/{proctored_session.pk}/incidents/new/"
    admin_page = client_of(org_admin).get(url).content.decode()
    assert 'data-action="report"' not in admin_page
    assert 'id="incident-dialog"' not in admin_page


# --- Who may record, about whom ------------------------------------------------------------------


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_outsiders_get_404_and_record_nothing(request, client_of, examinee, proctored_session, outsider):
    client = client_of(request.getfixturevalue(outsider))
    assert client.get(new_url(proctored_session, examinee)).status_code == 404
    assert client.post(new_url(proctored_session, examinee), {"category": "talking"}).status_code == 404
    assert client.post(proctor_url(proctored_session), {"category": "proctor_hints"}).status_code == 404
    assert not Incident.objects.exists()


def test_404_for_an_examinee_who_is_not_on_the_sessions_roster(
    client_of, teacher, examinee_of_other_class, foreign_examinee, proctored_session
):
    client = client_of(teacher)
    for person in (examinee_of_other_class, foreign_examinee, teacher):
        response = client.post(new_url(proctored_session, person), {"category": "other"})
        assert response.status_code == 404, person
    assert not Incident.objects.exists()


def test_404_for_an_examinee_who_left_the_organization(client_of, teacher, examinee, organization, proctored_session):
    Membership.objects.filter(user=examinee, organization=organization).update(ends_on=today())
    response = client_of(teacher).post(new_url(proctored_session, examinee), {"category": "other"})
    assert response.status_code == 404
    assert not Incident.objects.exists()


def test_an_org_admin_records_incidents_about_examinees_and_the_proctor(
    client_of, org_admin, teacher, examinee, proctored_session
):
    client = client_of(org_admin)
    assert client.post(new_url(proctored_session, examinee), {"category": "talking"}).status_code == 302
    response = client.post(proctor_url(proctored_session), {"category": "proctor_neglect", "note": "n"})
    assert response.status_code == 302
    about_proctor = Incident.objects.get(subject=teacher)
    assert about_proctor.category == "proctor_neglect"
    assert about_proctor.reporter == org_admin
    assert AuditEntry.objects.get(action="incident.report", details__teacher=teacher.login_id)


def test_a_teacher_cannot_report_on_the_proctor(client_of, teacher, proctored_session):
    assert client_of(teacher).get(proctor_url(proctored_session)).status_code == 404
    with pytest.raises(ServiceError) as refused:
        services.incident_report(session=proctored_session, subject=teacher, by=teacher, category="proctor_hints")
    assert refused.value.code == "forbidden"
    assert not Incident.objects.exists()


def test_an_operator_records_an_incident_about_a_proctor_in_the_console(
    client_of, operator, teacher, proctored_session
):
    client = client_of(operator)
    add_url = reverse("admin:proctoring_incident_add")
    assert "Leaking" not in client.get(add_url).content.decode()  # only the proctor categories
    response = client.post(add_url, {"session": proctored_session.pk, "category": "family_proctor", "note": "seen"})
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert (incident.subject, incident.reporter, incident.category) == (teacher, operator, "family_proctor")
    assert AuditEntry.objects.filter(action="incident.report", actor=operator).count() == 1
    change_page = client.get(reverse("admin:proctoring_incident_change", args=[incident.pk])).content.decode()
    assert "seen" not in change_page  # the note stays with the organization's reviewers


# --- Categories per person ------------------------------------------------------------------------


@pytest.mark.parametrize("category", sorted(Incident.PROCTOR_CATEGORIES - {"other"}))
def test_proctor_categories_are_refused_about_an_examinee(client_of, teacher, examinee, proctored_session, category):
    page = client_of(teacher).get(new_url(proctored_session, examinee)).content.decode()
    assert f'value="{category}"' not in page
    response = client_of(teacher).post(new_url(proctored_session, examinee), {"category": category})
    assert response.status_code == 200
    assert response.context["form"].errors["category"]
    with pytest.raises(ServiceError) as refused:
        services.incident_report(session=proctored_session, subject=examinee, by=teacher, category=category)
    assert refused.value.code == "bad_category"
    assert not Incident.objects.exists()


@pytest.mark.parametrize("category", sorted(Incident.EXAMINEE_CATEGORIES - {"other"}))
def test_examinee_categories_are_refused_about_a_proctor(client_of, org_admin, teacher, proctored_session, category):
    response = client_of(org_admin).post(proctor_url(proctored_session), {"category": category})
    assert response.status_code == 200
    assert response.context["form"].errors["category"]
    with pytest.raises(ServiceError):
        services.incident_report(session=proctored_session, subject=teacher, by=org_admin, category=category)
    assert not Incident.objects.exists()


def test_the_twelve_categories_carry_their_official_japanese_wording(settings):
    assert len(Incident.Category.values) == 12
    every, shared = (
        Incident.EXAMINEE_CATEGORIES | Incident.PROCTOR_CATEGORIES,
        Incident.EXAMINEE_CATEGORIES & Incident.PROCTOR_CATEGORIES,
    )
    assert every == set(Incident.Category.values)
    assert shared == {"other"}  # 1–7 about examinees, 8–11 about proctors, 12 about either
    assert Incident(category="leaking").japanese_label == "検定問題の漏えい・複製"
    assert (
        category_label("leaking") == "Leaking or copying exam questions (screenshots, copying) — 検定問題の漏えい・複製"
    )
    assert category_label("family_proctor").endswith("— 家族による試験監督")
    with translation.override("ja"):
        assert category_label("leaking") == "検定問題の漏えい・複製"  # the terms' own words, once


# --- What is kept ---------------------------------------------------------------------------------


def test_it_refuses_a_signal_of_another_examinee(
    client_of, teacher, examinee, examinee_of_other_class, proctored_session
):
    foreign_signal = signal(proctored_session, examinee_of_other_class)
    response = client_of(teacher).post(
        new_url(proctored_session, examinee), {"category": "talking", "signals": [foreign_signal.pk]}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["signals"]
    with pytest.raises(ServiceError):
        services.incident_report(
            session=proctored_session, subject=examinee, by=teacher, category="talking", signals=[foreign_signal]
        )
    assert not Incident.objects.exists()


def test_a_note_over_2000_characters_is_refused(client_of, teacher, examinee, proctored_session):
    response = client_of(teacher).post(new_url(proctored_session, examinee), {"category": "other", "note": "あ" * 2001})
    assert response.status_code == 200
    assert response.context["form"].errors["note"]
    assert not Incident.objects.exists()


def test_the_note_is_shown_escaped_and_kept_out_of_the_audit_log(client_of, teacher, examinee, proctored_session):
    note = '<script>alert("x")</script> ' + NOTE
    services.incident_report(session=proctored_session, subject=examinee, by=teacher, category="other", note=note)
    page = client_of(teacher).get(reverse("proctoring:session_report", args=[proctored_session.pk])).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    for entry in AuditEntry.objects.all():
        assert NOTE not in f"{entry.details} {entry.target_label} {entry.actor_label}"


# --- Deciding ------------------------------------------------------------------------------------


def resolve_url(incident) -> str:
    return reverse("proctoring:incident_resolve", args=[incident.pk])


def test_the_teacher_decides_an_incident_once(client_of, teacher, examinee, proctored_session):
    incident = services.incident_report(session=proctored_session, subject=examinee, by=teacher, category="talking")
    client = client_of(teacher)
    response = client.post(resolve_url(incident), {"action": "warning", "back": "report"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.action, incident.resolved_by, incident.is_open) == ("warning", teacher, False)
    client.post(resolve_url(incident), {"action": "none"})
    incident.refresh_from_db()
    assert incident.action == "warning"
    entry = AuditEntry.objects.get(action="incident.resolve")
    assert entry.details == {"decision": "warning", "session": proctored_session.pk, "examinee": examinee.login_id}


def test_revoking_is_not_a_decision_of_the_resolve_form(client_of, teacher, examinee, proctored_session):
    incident = services.incident_report(session=proctored_session, subject=examinee, by=teacher, category="talking")
    client_of(teacher).post(resolve_url(incident), {"action": "revoked"})
    incident.refresh_from_db()
    assert incident.is_open
    assert incident.action == ""


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_outsiders_cannot_decide(request, client_of, teacher, examinee, proctored_session, outsider):
    incident = services.incident_report(session=proctored_session, subject=examinee, by=teacher, category="talking")
    response = client_of(request.getfixturevalue(outsider)).post(resolve_url(incident), {"action": "none"})
    assert response.status_code == 404
    incident.refresh_from_db()
    assert incident.is_open


def test_a_teacher_neither_sees_nor_decides_an_incident_about_themselves(
    client_of, org_admin, teacher, proctored_session
):
    incident = services.incident_report(
        session=proctored_session, subject=teacher, by=org_admin, category="place_moved"
    )
    client = client_of(teacher)
    assert client.post(resolve_url(incident), {"action": "none"}).status_code == 404
    report = client.get(reverse("proctoring:session_report", args=[proctored_session.pk]))
    assert report.context["report"].proctor_incidents == []
    assert "Moving away from the agreed exam place" not in report.content.decode()
    admin_report = client_of(org_admin).get(reverse("proctoring:session_report", args=[proctored_session.pk]))
    assert admin_report.context["report"].proctor_incidents == [incident]


# --- The org admin's list -------------------------------------------------------------------------


def test_the_org_admin_lists_open_and_decided_incidents(client_of, org_admin, teacher, examinee, proctored_session):
    open_one = services.incident_report(session=proctored_session, subject=examinee, by=teacher, category="talking")
    decided = services.incident_report(session=proctored_session, subject=examinee, by=teacher, category="aids")
    services.incident_resolve(incident=decided, by=teacher, action="none")
    client = client_of(org_admin)
    url = reverse("proctoring:incident_list")
    assert [row.incident for row in client.get(url).context["rows"]] == [open_one]
    assert [row.incident for row in client.get(url, {"status": "resolved"}).context["rows"]] == [decided]
    everything = client.get(url, {"status": "all"})
    assert {row.incident for row in everything.context["rows"]} == {open_one, decided}
    page = everything.content.decode()
    assert examinee.name in page
    assert reverse("proctoring:session_report", args=[proctored_session.pk]) in page
    response = client.post(resolve_url(open_one), {"action": "warning", "back": "incidents"})
    assert response.status_code == 302
    assert response.url == url


def test_the_list_names_nobody_who_left(client_of, org_admin, teacher, examinee, organization, proctored_session):
    services.incident_report(session=proctored_session, subject=examinee, by=teacher, category="talking")
    Membership.objects.filter(user=examinee, organization=organization).update(ends_on=today())
    page = client_of(org_admin).get(reverse("proctoring:incident_list")).content.decode()
    assert examinee.name not in page
    assert "Transferred examinee" in page


@pytest.mark.parametrize("outsider", ["teacher", "examinee", "operator"])
def test_only_org_admins_open_the_list(request, client_of, outsider):
    assert client_of(request.getfixturevalue(outsider)).get(reverse("proctoring:incident_list")).status_code == 404


def test_another_organizations_admin_sees_none_of_it(
    client_of, foreign_org_admin, teacher, examinee, proctored_session
):
    services.incident_report(session=proctored_session, subject=examinee, by=teacher, category="talking")
    response = client_of(foreign_org_admin).get(reverse("proctoring:incident_list"), {"status": "all"})
    assert response.status_code == 200
    assert response.context["rows"] == []
