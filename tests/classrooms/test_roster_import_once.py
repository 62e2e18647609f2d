"""A roster import form imports at most once: a double click or a resent POST issues nothing twice (§2)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from classrooms.models import Enrollment, User
from classrooms.services import RosterRow, examinees_issue
from config.errors import ServiceError

pytestmark = pytest.mark.django_db


def post(client, school_class, token):
    return client.post(
        reverse("classrooms:teacher_roster_import", args=[school_class.pk]),
        {
            "file": SimpleUploadedFile("r.csv", "氏名\r\n一郎\r\n二郎\r\n".encode(), content_type="text/csv"),
            "import_token": token,
        },
        headers={"accept-language": "en"},
    )


def test_the_same_form_sent_twice_imports_once(client_of, teacher, school_class):
    client = client_of(teacher)
    token = client.get(reverse("classrooms:teacher_roster_import", args=[school_class.pk])).context["import_token"]

    first = post(client, school_class, token)
    users = User.objects.count()
    second = post(client, school_class, token)

    assert first.status_code == 200
    assert len(first.context["credentials"]) == 2
    assert second.status_code == 200
    assert "already sent, so nothing was imported again" in second.content.decode()
    assert User.objects.count() == users
    assert Enrollment.objects.filter(school_class=school_class).count() == 2


def test_a_post_without_a_token_imports_nothing(client_of, teacher, school_class):
    client = client_of(teacher)
    response = post(client, school_class, "")
    assert "nothing was imported" in response.content.decode()
    assert not Enrollment.objects.filter(school_class=school_class).exists()
    # The page it answers with carries a fresh token, so the teacher can simply send the form again.
    assert len(post(client, school_class, response.context["import_token"]).context["credentials"]) == 2


def test_another_sessions_token_is_refused(client_of, teacher, school_class):
    other = client_of(teacher)
    token = other.get(reverse("classrooms:teacher_roster_import", args=[school_class.pk])).context["import_token"]
    fresh = Client()
    fresh.force_login(teacher)
    post(fresh, school_class, token)
    assert not Enrollment.objects.filter(school_class=school_class).exists()


def test_two_forms_open_at_once_each_import_once(client_of, teacher, school_class):
    client = client_of(teacher)
    url = reverse("classrooms:teacher_roster_import", args=[school_class.pk])
    first_token = client.get(url).context["import_token"]
    second_token = client.get(url).context["import_token"]
    assert first_token != second_token
    assert "credentials" in post(client, school_class, second_token).context


def test_the_form_says_it_is_busy_with_the_expected_time(client_of, teacher, school_class):
    content = client_of(teacher).get(
        reverse("classrooms:teacher_roster_import", args=[school_class.pk]), headers={"accept-language": "ja"}
    )
    text = content.content.decode()
    assert "data-busy=" in text
    assert "data-busy-status" in text
    assert "取り込み中…" in text
    assert "40 人で約15秒" in text
    # The words kantoku.js fills in with the number of rows of the chosen file.
    assert content.context["i18n"]["importing"].startswith("取り込み中… %(count)s 人で約%(seconds)s秒")
    assert 'id="i18n"' in text
    assert 'data-busy-count-text="importing"' in text


def test_two_posts_of_one_form_that_both_pass_the_session_check_import_once(client_of, teacher, school_class):
    """A double click whose two POSTs arrive together: each may have read the session before the
    other saved it. The service refuses the second under the class's row lock.
    """
    client = client_of(teacher)
    token = client.get(reverse("classrooms:teacher_roster_import", args=[school_class.pk])).context["import_token"]
    with mock.patch("classrooms.views.roster_files.import_token_consume", return_value=True):
        first = post(client, school_class, token)
        second = post(client, school_class, token)
    assert len(first.context["credentials"]) == 2
    assert "already sent, so nothing was imported again" in second.content.decode()
    assert Enrollment.objects.filter(school_class=school_class).count() == 2


def test_the_service_refuses_the_same_form_twice(teacher, school_class):
    rows = [RosterRow(name="一郎", kana="", number=None, login_id="")]
    examinees_issue(school_class=school_class, rows=rows, by=teacher, once="form-1")
    users = User.objects.count()
    with pytest.raises(ServiceError) as refused:
        examinees_issue(school_class=school_class, rows=rows, by=teacher, once="form-1")
    assert refused.value.code == "already_imported"
    assert User.objects.count() == users
    # Another form, or no token at all (one account added by hand), is not affected.
    examinees_issue(school_class=school_class, rows=rows, by=teacher, once="form-2")
    examinees_issue(school_class=school_class, rows=rows, by=teacher)
    assert Enrollment.objects.filter(school_class=school_class).count() == 3


def test_the_token_is_not_shown_in_the_audit_log(client_of, teacher, school_class, org_admin):
    client = client_of(teacher)
    token = client.get(reverse("classrooms:teacher_roster_import", args=[school_class.pk])).context["import_token"]
    post(client, school_class, token)
    log = client_of(org_admin).get(reverse("classrooms:orgadmin_audit_log")).content.decode()
    assert "受検会員アカウントを発行" in log
    assert token not in log
