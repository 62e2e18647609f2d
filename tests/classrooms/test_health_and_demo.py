from __future__ import annotations

import pytest
from django.core.management import call_command

from classrooms.models import AuditEntry, Enrollment, Organization, SchoolClass, User
from exams.models import Exam

pytestmark = pytest.mark.django_db


def test_healthz_checks_database_and_channel_layer(client, settings, tmp_path):
    settings.BACKUP_DIR = tmp_path  # no backup yet: its age is null (tests/operations/test_backup_status.py)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "channel_layer": "ok", "backup_age_seconds": None}


def counts():
    return [model.objects.count() for model in (Organization, User, SchoolClass, Enrollment, AuditEntry, Exam)]


def test_demo_data_loads_and_loading_again_changes_nothing(capsys):
    call_command("load_demo")
    first = counts()
    output = capsys.readouterr().out
    assert "sakura-teacher" in output
    assert "kantoku-demo" in output
    call_command("load_demo")
    assert counts() == first
    teacher = User.objects.get(login_id="sakura-teacher")
    assert teacher.check_password("kantoku-demo")
    assert not teacher.must_change_password
    assert Enrollment.objects.filter(school_class__teacher=teacher).count() == 6
    assert Exam.objects.filter(code__in=["reading-spring", "mixed-quiz"]).count() == 2
