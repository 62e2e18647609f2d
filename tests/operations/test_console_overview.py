"""The console's first page: the overview an operator reads each morning (docs/design.md §8)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from classrooms.schoolyear import today
from operations import backups, contracts
from tests.conftest import make_organization
from tests.operations.backup_data import key_pair


@pytest.fixture
def overview_page(client_of, operator):
    def page() -> str:
        response = client_of(operator).get(reverse("admin:index"), headers={"accept-language": "ja"})
        assert response.status_code == 200
        return response.content.decode()

    return page


@pytest.fixture(autouse=True)
def backup_dir(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_RECIPIENTS = [key_pair(tmp_path)[0]]
    return settings.BACKUP_DIR


@pytest.mark.django_db
def test_it_counts_schools_by_state_and_lists_contracts_ending_within_60_days(overview_page, operator, organization):
    soon = make_organization("soon", "まもなく終了小学校")
    later = make_organization("later", "まだ続く中学校")
    contracts.contract_terminate(organization=soon, on=today() + datetime.timedelta(days=20), by=operator)
    contracts.contract_terminate(organization=later, on=today() + datetime.timedelta(days=90), by=operator)
    gone = make_organization("gone", "終了した高校")
    gone = contracts.contract_terminate(organization=gone, by=operator)

    html = overview_page()

    ending = html.split("今後 60 日以内に終了する契約", 1)[1].split("</ul>", 1)[0]
    assert "まもなく終了小学校" in ending
    assert "まだ続く中学校" not in ending
    deletions = html.split("契約終了した学校と、データを削除する日", 1)[1].split("</ul>", 1)[0]
    assert "終了した高校" in deletions
    with translation.override("ja"):
        assert date_format(gone.data_deletion_date()) in deletions
    assert "?status__exact=terminated" in html


@pytest.mark.django_db
def test_it_shows_this_months_billing_count(overview_page, organization, teacher, examinee):
    html = overview_page()
    billing = html.split("今月の請求人数", 1)[1].split("</p>", 1)[0]
    assert "本日時点の見込み" in billing or "基準日に確定" in billing or "基準日に集計されていません" in billing
    assert reverse("admin:operations_billingsnapshot_changelist") in billing


@pytest.mark.django_db(transaction=True)
def test_the_last_backup_is_red_when_missing_stale_or_unverified(overview_page):
    assert 'data-backup="none"' in overview_page()

    backups.backup_create(now=timezone.now() - datetime.timedelta(hours=27))
    html = overview_page()
    assert 'data-backup="stale"' in html
    assert "検証済み" in html

    backups.backup_create()
    assert 'data-backup="fresh"' in overview_page()
