"""Form errors name the field and the fix (config/forms.py), not a bare このフィールドは必須です。"""

from __future__ import annotations

import pytest
from django import forms
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

JA = {"accept-language": "ja"}
BARE = "このフィールドは必須です"


def text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_sign_in(client):
    page = text(client.post(reverse("classrooms:login"), {"username": "", "password": ""}, headers=JA))
    assert "利用者IDを入力してください。" in page
    assert "パスワードを入力してください。" in page
    assert BARE not in page


def test_password(client_of, teacher):
    page = text(client_of(teacher).post(reverse("classrooms:password_change"), {"old_password": "x"}, headers=JA))
    assert "新しいパスワードを入力してください。" in page
    assert BARE not in page


def test_class(client_of, teacher):
    page = text(client_of(teacher).post(reverse("classrooms:teacher_class_create"), {"school_year": "x"}, headers=JA))
    assert "クラス名を入力してください。" in page
    assert "は整数で入力してください。" in page
    assert BARE not in page


def test_examinee(client_of, teacher, school_class):
    url = reverse("classrooms:teacher_examinee_add", args=[school_class.pk])
    page = text(client_of(teacher).post(url, {"name": "", "kana": "か" * 101, "number": "1000"}, headers=JA))
    assert "氏名を入力してください。" in page
    assert "ふりがなは100文字以内にしてください(いまは101文字です)。" in page
    assert "出席番号は999以下にしてください。" in page
    assert BARE not in page


def test_transfer(client_of, teacher, enrollment):
    url = reverse("classrooms:teacher_examinee_transfer_out", args=[enrollment.school_class_id, enrollment.pk])
    page = text(client_of(teacher).post(url, {"effective_on": ""}, headers=JA))
    assert "を入力してください。" in page
    assert BARE not in page


def test_message(client_of, teacher, examinee):
    page = text(client_of(teacher).post(reverse("messaging:message_new"), {"body": "こんにちは"}, headers=JA))
    assert "宛先を選んでください。" in page
    assert BARE not in page


def test_a_forms_own_message_is_kept():
    class Own(forms.Form):
        name = forms.CharField(label="Name", error_messages={"max_length": "Too long, friend."}, max_length=2)

    with translation.override("en"):
        assert list(Own({"name": "abc"})["name"].errors) == ["Too long, friend."]
        assert list(Own({})["name"].errors) == ["Enter Name."]
