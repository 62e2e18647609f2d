"""A pupil's standing time accommodation: set on the roster's edit form, shown on the roster, audited
(docs/design.md §4). Its effect on an attempt: tests/proctoring/test_class_actions.py.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from classrooms import services
from classrooms.models import AuditEntry
from config.errors import ServiceError

pytestmark = pytest.mark.django_db


def edit_url(enrollment) -> str:
    return reverse("classrooms:teacher_examinee_edit", args=[enrollment.school_class_id, enrollment.pk])


def test_the_edit_form_offers_the_choices_with_the_current_one(client_of, teacher, enrollment):
    enrollment.time_multiplier = Decimal("1.25")
    enrollment.save()

    content = client_of(teacher).get(edit_url(enrollment)).content.decode()

    for value in ("1.00", "1.25", "1.50", "2.00"):
        assert f'value="{value}"' in content
    assert 'value="1.25" selected' in content


def test_the_teacher_sets_it_and_the_roster_shows_it(client_of, teacher, school_class, enrollment):
    client = client_of(teacher)

    response = client.post(
        edit_url(enrollment), {"name": "鈴木 一郎", "kana": "すずき いちろう", "number": "1", "time_multiplier": "1.50"}
    )

    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.time_multiplier == Decimal("1.5")
    assert AuditEntry.objects.get(action="examinee.update").details == {"fields": ["time_multiplier"]}
    roster = client.get(reverse("classrooms:teacher_roster", args=[school_class.pk])).content.decode()
    assert "×1.5" in roster


def test_standard_time_shows_nothing_on_the_roster(client_of, teacher, school_class, enrollment):
    roster = client_of(teacher).get(reverse("classrooms:teacher_roster", args=[school_class.pk])).content.decode()
    assert "×1" not in roster


def test_a_value_not_offered_is_refused(client_of, teacher, enrollment):
    response = client_of(teacher).post(
        edit_url(enrollment), {"name": "鈴木 一郎", "kana": "", "number": "1", "time_multiplier": "3.00"}
    )

    assert response.status_code == 200, "the form again, with its error"
    enrollment.refresh_from_db()
    assert enrollment.time_multiplier == Decimal("1")
    assert not AuditEntry.objects.filter(action="examinee.update").exists()


def test_the_service_refuses_a_value_not_offered(teacher, enrollment):
    with pytest.raises(ServiceError) as refused:
        services.examinee_update(
            enrollment=enrollment, name="鈴木 一郎", kana="", number=1, by=teacher, time_multiplier=Decimal("3")
        )
    assert refused.value.code == "bad_multiplier"


def test_left_out_it_stays_as_it_was(teacher, enrollment):
    enrollment.time_multiplier = Decimal("2")
    enrollment.save()

    services.examinee_update(enrollment=enrollment, name="鈴木 一朗", kana="", number=1, by=teacher)

    enrollment.refresh_from_db()
    assert enrollment.time_multiplier == Decimal("2")
