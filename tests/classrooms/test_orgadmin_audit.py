"""The org admin's audit log: this organization's entries only, newest first, in Japan time."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from classrooms import services
from classrooms.models import AuditEntry, Membership, User, audit_action_labels
from classrooms.schoolyear import current_school_year, today
from classrooms.views.orgadmin import AUDIT_PAGE_SIZE

pytestmark = pytest.mark.django_db


def audit_log(client, **params):
    return client.get(reverse("classrooms:orgadmin_audit_log"), params)


# --- Who gets in ---------------------------------------------------------------------------


def test_the_org_admin_gets_the_audit_log(client_of, org_admin):
    assert audit_log(client_of(org_admin)).status_code == 200


@pytest.mark.parametrize("outsider", ["teacher", "examinee", "operator"])
def test_404_when_someone_else_opens_the_audit_log(request, client_of, outsider):
    assert audit_log(client_of(request.getfixturevalue(outsider))).status_code == 404


def test_405_when_the_audit_log_is_posted_to(client_of, org_admin):
    assert client_of(org_admin).post(reverse("classrooms:orgadmin_audit_log")).status_code == 405


def test_anonymous_is_sent_to_sign_in(client):
    response = audit_log(client)
    assert response.status_code == 302
    assert response.url.startswith(reverse("classrooms:login"))


# --- What it shows -------------------------------------------------------------------------


def test_it_shows_only_this_orgs_entries(
    client_of, org_admin, teacher, school_class, foreign_org_admin, foreign_teacher, foreign_class
):
    services.class_rename(school_class=school_class, name="5年3組", by=teacher)
    services.user_set_active(user=foreign_teacher, active=False, by=foreign_org_admin)
    services.class_rename(school_class=foreign_class, name="1年B組", by=foreign_teacher)

    response = audit_log(client_of(org_admin))

    [row] = response.context["rows"]
    assert (row.who, row.action, row.target) == (
        str(teacher),
        str(AuditEntry.action_label("class.rename")),
        f"{current_school_year()} 5年3組",
    )
    content = response.content.decode()
    assert foreign_teacher.name not in content
    assert "1年B組" not in content


def test_it_shows_when_in_japan_time_who_what_on_what_and_details(client_of, organization, org_admin, teacher):
    AuditEntry.objects.create(
        organization=organization,
        actor=teacher,
        actor_label=str(teacher),
        action="class.rename",
        target_type="schoolclass",
        target_id="1",
        target_label="2026 5年3組",
        details={"previous": "5年1組"},
        at=datetime.datetime(2026, 4, 1, 0, 30, tzinfo=datetime.UTC),
    )

    response = audit_log(client_of(org_admin))

    content = response.content.decode()
    assert "2026年4月1日 9:30" in content  # one date format everywhere (config/formats)
    assert teacher.name in content
    assert "2026 5年3組" in content
    assert "5年1組" in content
    assert str(AuditEntry.action_label("class.rename")) in content


def test_it_shows_unknown_actions_by_their_code(client_of, organization, org_admin):
    # A row written by an older version, with a code no module declares any more.
    AuditEntry.objects.create(organization=organization, actor=org_admin, actor_label="x", action="transfer.file")
    [row] = audit_log(client_of(org_admin)).context["rows"]
    assert row.action == "transfer.file"


def test_it_lists_the_newest_first_fifty_a_page(client_of, organization, org_admin):
    start = datetime.datetime(2026, 5, 1, 9, 0, tzinfo=datetime.UTC)
    for minute in range(AUDIT_PAGE_SIZE + 1):
        AuditEntry.objects.create(
            organization=organization,
            actor_label="system",
            action="class.create",
            target_label=f"class {minute}",
            at=start + datetime.timedelta(minutes=minute),
        )
    client = client_of(org_admin)

    first = audit_log(client).context["rows"]
    second = audit_log(client, page=2).context["rows"]

    assert len(first) == AUDIT_PAGE_SIZE
    assert first[0].target == f"class {AUDIT_PAGE_SIZE}"
    assert [row.target for row in second] == ["class 0"]


def test_it_filters_by_action(client_of, organization, org_admin, teacher, school_class):
    services.class_rename(school_class=school_class, name="5年3組", by=teacher)
    services.user_set_active(user=teacher, active=False, by=org_admin)
    client = client_of(org_admin)

    rows = audit_log(client, action="teacher.suspend").context["rows"]

    assert [row.action for row in rows] == [str(AuditEntry.action_label("teacher.suspend"))]
    choices = [code for code, _label in audit_log(client).context["form"].fields["action"].choices]
    assert choices == ["", "class.rename", "teacher.suspend"]


def test_it_ignores_a_filter_for_an_action_never_recorded(client_of, org_admin, teacher, school_class):
    services.class_rename(school_class=school_class, name="5年3組", by=teacher)
    response = audit_log(client_of(org_admin), action="nonsense")
    assert response.status_code == 200
    assert len(response.context["rows"]) == 1


def test_it_keeps_the_filter_across_pages(client_of, organization, org_admin):
    for _ in range(AUDIT_PAGE_SIZE + 1):
        AuditEntry.record(organization=organization, actor=None, action="class.create")
    content = audit_log(client_of(org_admin), action="class.create").content.decode()
    assert "?action=class.create&amp;page=2" in content


def test_it_does_not_name_people_who_have_left_the_organization(
    client_of, organization, org_admin, teacher, school_class, enrollment
):
    examinee = enrollment.examinee
    services.examinee_update(enrollment=enrollment, name="鈴木 一朗", kana="すずき", number=1, by=teacher)
    services.enrollment_end(enrollment=enrollment, by=teacher)
    Membership.objects.filter(user__in=[examinee, teacher]).update(ends_on=today())

    response = audit_log(client_of(org_admin))

    content = response.content.decode()
    assert "鈴木" not in content
    assert examinee.login_id not in content
    assert teacher.name not in content
    assert teacher.login_id not in content
    assert school_class.name in content  # what happened stays visible


def test_it_names_operators_by_their_role(client_of, organization, org_admin, operator):
    AuditEntry.record(organization=organization, actor=operator, action="organization.approved", target=organization)
    [row] = audit_log(client_of(org_admin)).context["rows"]
    assert row.who != str(operator)
    assert str(operator) not in audit_log(client_of(org_admin)).content.decode()


def test_it_never_shows_a_password_even_if_one_were_stored(client_of, organization, org_admin, teacher):
    AuditEntry.record(
        organization=organization, actor=org_admin, action="teacher.issue", target=teacher, password="leaked-secret"
    )
    response = audit_log(client_of(org_admin))
    assert "leaked-secret" not in response.content.decode()


def test_issuing_and_suspending_a_teacher_shows_up(client_of, org_admin):
    client = client_of(org_admin)
    response = client.post(
        reverse("classrooms:orgadmin_teacher_issue"), {"name": "高橋 先生", "login_id": "sakura-takahashi"}
    )
    [credential] = response.context["credentials"]
    client.post(reverse("classrooms:orgadmin_teacher_suspend", args=[credential.user.pk]))

    rows = audit_log(client).context["rows"]

    assert [(row.action, row.who) for row in rows] == [
        (str(AuditEntry.action_label("teacher.suspend")), str(org_admin)),
        (str(AuditEntry.action_label("teacher.issue")), str(org_admin)),
    ]
    assert all(row.target == str(credential.user) for row in rows)
    assert credential.password not in audit_log(client).content.decode()
    assert User.objects.get(pk=credential.user.pk).is_active is False


def test_every_action_the_services_record_has_a_label():
    """An org admin reads words, not codes: every literal action code written by the apps is labelled."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    written = set()
    for app in ("classrooms", "exams", "proctoring", "messaging"):
        for path in (root / app).rglob("*.py"):
            written |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    assert written, "the scan found no action codes at all"
    assert written - set(audit_action_labels()) == set()


def test_a_code_nobody_declared_is_refused_and_nothing_is_written(org_admin):
    before = AuditEntry.objects.count()
    with pytest.raises(ValueError, match="audit_actions"):
        AuditEntry.record(organization=None, actor=org_admin, action="teacher.teleport")
    assert AuditEntry.objects.count() == before


def test_the_codes_put_together_at_run_time_are_declared_too():
    """Codes built from a status, a role or a transfer kind cannot be found by the scan above."""
    from classrooms.models import Organization, Transfer

    built = {f"organization.{status}" for status in Organization.Status.values}
    built |= {f"{role}.{verb}" for role in ("org_admin", "teacher") for verb in ("issue", "suspend", "reactivate")}
    built |= {f"examinee.{verb}" for verb in ("suspend", "reactivate")}
    built |= {f"transfer.{kind}.{step}" for kind in Transfer.Kind.values for step in ("file", "approve")}
    built |= {f"transfer.{kind}.reject" for kind in Transfer.Kind.values if kind != Transfer.Kind.TEACHER_IN}
    assert built - set(audit_action_labels()) == set()
