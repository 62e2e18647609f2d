"""An operator opens one message's content only with a reason and a reference; the access is audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from classrooms.models import AuditEntry
from config.errors import ServiceError
from messaging.models import BreakGlassAccess
from messaging.services import break_glass_open, message_send

pytestmark = pytest.mark.django_db

SECRET = "ひみつの相談 7731"


@pytest.fixture
def message(teacher, examinee):
    return message_send(by=examinee, recipient=teacher, body=SECRET)


def open_message(client, message, **fields):
    data = {"message": message.pk, "reason": "support_inquiry", "reference": "INQ-2026-0042", **fields}
    return client.post(reverse("messaging:operator_break_glass"), data)


@pytest.mark.parametrize(
    ("missing", "error"),
    [
        ({"reason": ""}, "Choose why you need to read this message."),
        ({"reason": "curiosity"}, "Select a valid choice."),
        ({"reference": ""}, "Give the reference of the inquiry or incident."),
        ({"reference": "   "}, "Give the reference of the inquiry or incident."),
    ],
)
def test_it_is_refused_without_a_reason_or_a_reference(client_of, operator, message, missing, error):
    response = open_message(client_of(operator), message, **missing)

    page = response.content.decode()
    assert error in page
    assert SECRET not in page
    assert not BreakGlassAccess.objects.exists()
    assert not AuditEntry.objects.filter(action="message.break_glass").exists()


def test_the_service_refuses_too(operator, message):
    for reason, reference in (("", "INQ-1"), ("incident", " ")):
        with pytest.raises(ServiceError):
            break_glass_open(message=message, by=operator, reason=reason, reference=reference)
    assert not BreakGlassAccess.objects.exists()


def test_with_a_reason_and_a_reference_it_is_shown_recorded_and_audited(client_of, operator, message, organization):
    response = open_message(client_of(operator), message, reason="incident", reference="INC-7")

    assert SECRET in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    access = BreakGlassAccess.objects.get()
    assert (access.message, access.operator, access.reason, access.reference) == (
        message,
        operator,
        "incident",
        "INC-7",
    )
    entry = AuditEntry.objects.get(action="message.break_glass")
    assert (entry.organization, entry.actor, entry.target_id) == (organization, operator, str(message.pk))
    assert entry.details == {"reason": "incident", "reference": "INC-7"}
    assert SECRET not in entry.target_label
    assert SECRET not in str(entry.details)


def test_every_opening_is_another_recorded_access(client_of, operator, message):
    client = client_of(operator)
    open_message(client, message)
    open_message(client, message)
    assert BreakGlassAccess.objects.count() == 2
    assert AuditEntry.objects.filter(action="message.break_glass").count() == 2


def test_the_org_admin_sees_the_access_in_their_audit_log(client_of, client, operator, message, org_admin):
    open_message(client_of(operator), message)
    client.force_login(org_admin)

    page = client.get(reverse("classrooms:orgadmin_audit_log")).content.decode()

    assert "Operator opened a message&#x27;s content (break-glass)" in page
    assert "INQ-2026-0042" in page
    assert "Kantoku operator" in page
    assert SECRET not in page


def test_another_organization_does_not_see_it(client_of, client, operator, message, foreign_org_admin):
    open_message(client_of(operator), message)
    client.force_login(foreign_org_admin)
    assert "break-glass" not in client.get(reverse("classrooms:orgadmin_audit_log")).content.decode()


def test_an_unknown_message_number_is_a_form_error(client_of, operator, message):
    response = client_of(operator).post(
        reverse("messaging:operator_break_glass"),
        {"message": message.pk + 100, "reason": "incident", "reference": "INC-1"},
    )
    assert "There is no message with this number." in response.content.decode()
    assert not BreakGlassAccess.objects.exists()


def test_the_form_alone_shows_no_content(client_of, operator, message):
    page = client_of(operator).get(reverse("messaging:operator_break_glass") + f"?message={message.pk}")
    assert SECRET not in page.content.decode()
    assert f'value="{message.pk}"' in page.content.decode()


@pytest.mark.parametrize("persona", ["org_admin", "teacher", "examinee"])
def test_only_operators_may_break_the_glass(client_of, request, persona, message):
    response = open_message(client_of(request.getfixturevalue(persona)), message)
    assert response.status_code == 404
    assert not BreakGlassAccess.objects.exists()


def test_break_glass_accesses_cannot_be_changed(operator, message):
    access = BreakGlassAccess.objects.create(message=message, operator=operator, reason="incident", reference="X")
    access.reference = "tampered"
    with pytest.raises(ValueError, match="append-only"):
        access.save()
