"""Every page's head: htmx and django-htmx's script once each, and the favicon."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("debug", [True, False])
def test_htmx_is_loaded_once(client, settings, debug):
    settings.DEBUG = debug
    page = client.get(reverse("classrooms:login")).content.decode()
    assert page.count("django_htmx/htmx-2.min.js") == 1
    assert page.count("django_htmx/django-htmx.js") == (1 if debug else 0)


def test_the_favicon_is_linked_and_exists(client):
    page = client.get(reverse("classrooms:login")).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    assert (ROOT / "static" / "favicon.svg").read_text().startswith("<svg")
