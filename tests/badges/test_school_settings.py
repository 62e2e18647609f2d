"""The org admin's badge settings (docs/design.md §12): pupils' names in the school's badges, off by default,
turned on and off only by the school's org admin, every change audited.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from badges.models import Issuer
from classrooms.models import AuditEntry

pytestmark = pytest.mark.django_db

URL = reverse("badges:school_settings")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def test_the_org_admin_turns_names_on_and_it_is_audited(client_of, org_admin, organization):
    client = client_of(org_admin)
    page = client.get(URL).content.decode()
    assert "Write the pupil&#x27;s name into the badges" in page or "pupil's name into the badges" in page
    assert client.post(URL, {"show_pupil_name": "on"}).status_code == 302
    assert Issuer.objects.get(organization=organization).show_pupil_name is True
    entry = AuditEntry.objects.get(action="badges.pupil_name")
    assert (entry.organization, entry.actor, entry.details["show_pupil_name"]) == (organization, org_admin, True)
    client.post(URL, {"show_pupil_name": "on"})  # no change, no entry
    client.post(URL, {})
    assert Issuer.objects.get(organization=organization).show_pupil_name is False
    assert AuditEntry.objects.filter(action="badges.pupil_name").count() == 2


def test_the_audit_log_says_the_choice_in_words(client_of, org_admin):
    client = client_of(org_admin)
    client.post(URL, {"show_pupil_name": "on"})
    client.post(URL, {})
    log = " ".join(client.get(reverse("classrooms:orgadmin_audit_log")).content.decode().split())
    assert "names in badges:</span> written" in log
    assert "names in badges:</span> not written" in log
    assert "names in badges:</span> True" not in log


@pytest.mark.parametrize("who", ["teacher", "examinee", "operator"])
def test_nobody_else_changes_it(request, client_of, who, organization):
    client = client_of(request.getfixturevalue(who))
    assert client.post(URL, {"show_pupil_name": "on"}).status_code in (302, 403, 404)
    assert not Issuer.objects.filter(show_pupil_name=True).exists()


def test_another_schools_org_admin_changes_only_their_own(
    client_of, foreign_org_admin, organization, other_organization
):
    client_of(foreign_org_admin).post(URL, {"show_pupil_name": "on"})
    assert not Issuer.objects.filter(organization=organization).exists()
    assert Issuer.objects.get(organization=other_organization).show_pupil_name is True
