"""The error pages in Japanese, in the site's look, with their status code and what to do next (§9)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import get_resolver, reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False


def test_404_in_japanese(client):
    response = client.get("/no-such-page/", headers={"accept-language": "ja"})
    page = response.content.decode()
    assert response.status_code == 404
    assert "ページが見つかりません" in page
    assert "ホームに戻って" in page
    assert 'lang="ja"' in page
    assert "css/kantoku.css" in page


def test_404_of_another_organizations_object_is_the_same_page(client_of, teacher, foreign_class):
    response = client_of(teacher).get(reverse("classrooms:teacher_roster", args=[foreign_class.pk]))
    assert response.status_code == 404
    assert "ページが見つかりません" in response.content.decode()
    assert foreign_class.name not in response.content.decode()


def test_403_in_japanese():
    request = RequestFactory().get("/")
    with translation.override("ja"):
        response = get_resolver().resolve_error_handler(403)(request, PermissionDenied())
    page = response.content.decode()
    assert response.status_code == 403
    assert "この操作はできません" in page
    assert "先生か学校の団体管理者" in page


def test_500_in_japanese():
    request = RequestFactory().get("/")
    with translation.override("ja"):
        response = get_resolver().resolve_error_handler(500)(request)
    page = response.content.decode()
    assert response.status_code == 500
    assert "エラーが起きました" in page
    assert "再読み込み" in page


def test_500_through_the_whole_stack(monkeypatch, teacher):
    monkeypatch.setattr("classrooms.views.accounts.HOME_BY_ROLE", None)  # home() fails for a signed-in user
    client = Client(raise_request_exception=False)
    client.force_login(teacher)
    response = client.get("/", headers={"accept-language": "ja"})
    assert response.status_code == 500
    assert "エラーが起きました" in response.content.decode()


def test_csrf_failure_says_the_page_was_open_too_long():
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("classrooms:login"),
        {"username": "someone", "password": "x"},
        headers={"accept-language": "ja", "referer": "http://testserver/login/"},
    )
    page = response.content.decode()
    assert response.status_code == 403
    assert "ページを長く開いたままだった" in page
    assert "再読み込み" in page
    assert 'href="http://testserver/login/"' in page


def test_csrf_failure_does_not_link_back_to_another_site():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("classrooms:login"), {}, headers={"referer": "https://evil.example/"})
    assert response.status_code == 403
    assert "evil.example" not in response.content.decode()
