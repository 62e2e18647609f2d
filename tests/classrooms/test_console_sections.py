"""The operators' console offers only what Kantoku uses, with Japanese names (docs/design.md §8)."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_console_has_no_groups_section(client_of, operator):
    content = client_of(operator).get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert reverse("admin:classrooms_organization_changelist") in content
    assert "/operator/auth/group/" not in content
    assert client_of(operator).get("/operator/auth/group/").status_code == 404
