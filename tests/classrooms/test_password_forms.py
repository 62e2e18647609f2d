"""Password forms: the label is 新しいパスワード (not the reissue button's 再発行), with the rules in
short sentences read from the configured validators (docs/design.md §1).
"""

from __future__ import annotations

import pytest
from django.contrib.auth import password_validation
from django.urls import reverse
from django.utils import translation

from classrooms.password_rules import password_rules

pytestmark = pytest.mark.django_db


def test_the_password_form_label_is_not_the_reissue_button(client_of, teacher):
    page = client_of(teacher).get(reverse("classrooms:password_change"), headers={"accept-language": "ja"})
    text = page.content.decode()
    assert "新しいパスワード" in text
    assert "再発行" not in text


def test_the_first_password_form_says_the_rules_for_children(client_of, examinee):
    examinee.must_change_password = True
    examinee.save(update_fields=["must_change_password"])
    page = client_of(examinee).get(reverse("classrooms:password_change_required"), headers={"accept-language": "ja"})
    text = page.content.decode()
    assert "8文字以上にしてね。" in text
    assert "名前や利用者IDと同じにしない。" in text
    assert "数字だけにしない。" in text
    assert "再発行" not in text


def test_the_rules_follow_the_validators_in_settings(settings):
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    ]
    password_validation.get_default_password_validators.cache_clear()
    try:
        with translation.override("ja"):
            assert password_rules() == ["10文字以上にしてね。"]
    finally:
        password_validation.get_default_password_validators.cache_clear()


def test_the_reissue_buttons_still_say_reissue(client_of, teacher, school_class, enrollment, org_admin):
    roster = client_of(teacher).get(
        reverse("classrooms:teacher_roster", args=[school_class.pk]), headers={"accept-language": "ja"}
    )
    assert "パスワード再発行" in roster.content.decode()
    teachers = client_of(org_admin).get(reverse("classrooms:orgadmin_teacher_list"), headers={"accept-language": "ja"})
    assert "パスワード再発行" in teachers.content.decode()
