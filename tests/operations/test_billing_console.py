"""The operator console's billing pages: a month's table, navigation and CSV; operators only (docs/design.md §8.2)."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from classrooms.models import Membership, Organization

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_the_billing_day")]


@pytest.fixture
def written(priced, teacher, examinee, foreign_teacher):
    """December counted with the teacher alone at さくら; January with the pupil too, and a new price."""
    Organization.objects.update(contract_starts_on=datetime.date(2026, 4, 1))
    Membership.objects.update(starts_on=datetime.date(2026, 4, 1))
    Membership.objects.filter(user=examinee).update(starts_on=datetime.date(2026, 12, 20))
    call_command("billing_snapshot", "--date", "2026-12-15", stdout=io.StringIO())
    call_command("billing_snapshot", stdout=io.StringIO())


def month_url(name: str, year: int, month: int) -> str:
    return reverse(f"admin:operations_billingsnapshot_{name}", args=[f"{year}", f"{month:02d}"])


def test_the_operator_sees_the_month_with_totals_and_the_change_from_last_month(client_of, operator, written):
    response = client_of(operator).get(reverse("admin:operations_billingsnapshot_changelist"))
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary.month, summary.state) == (datetime.date(2027, 1, 1), "written")
    assert (summary.teacher_count, summary.examinee_count, summary.amount) == (2, 1, 600 + 250)
    assert (summary.previous_amount, summary.amount_change) == (300 + 250, 300)
    page = response.content.decode()
    assert "さくら小学校" in page
    assert "みどり中学校" in page
    assert month_url("csv", 2027, 1) in page


def test_the_page_is_in_japanese(client_of, operator, written):
    page = client_of(operator).get(month_url("month", 2027, 1), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    for words in ("2027年1月の請求人数", "教師会員数", "受検会員数", "前月", "合計", "支払期日"):
        assert words in page


def test_month_navigation_reaches_last_month(client_of, operator, written):
    response = client_of(operator).get(month_url("month", 2027, 1))
    assert response.context["previous_url"] == month_url("month", 2026, 12)
    december = client_of(operator).get(response.context["previous_url"])
    summary = december.context["summary"]
    assert (summary.month, summary.state, summary.amount) == (datetime.date(2026, 12, 1), "written", 300 + 250)
    assert summary.previous_amount is None  # nothing was billed in November
    assert december.context["next_url"] == month_url("month", 2027, 1)


def test_a_month_to_come_shows_a_preview(client_of, operator, written):
    summary = client_of(operator).get(month_url("month", 2027, 2)).context["summary"]
    assert (summary.state, summary.accounts) == ("preview", 3)


def test_a_month_that_does_not_exist_is_404(client_of, operator):
    assert client_of(operator).get("/operator/operations/billingsnapshot/2027-13/").status_code == 404


def test_the_csv_has_a_bom_and_one_row_per_school(client_of, operator, written):
    response = client_of(operator).get(month_url("csv", 2027, 1))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "billing-2027-01.csv" in response["Content-Disposition"]
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert len(header) == 12
    assert sorted((row[2], row[4], row[5], row[8], row[9], row[11]) for row in rows) == [
        ("midori", "1", "0", "250", "2027-02-28", "250"),
        ("sakura", "1", "1", "600", "2027-02-28", "300"),
    ]


def test_a_name_that_looks_like_a_formula_is_neutralized_in_the_csv(client_of, operator, db):
    Organization.objects.create(
        code="calc", name="=HYPERLINK(1)", status="approved", contract_starts_on=datetime.date(2026, 4, 1)
    )
    call_command("billing_snapshot", stdout=io.StringIO())
    body = client_of(operator).get(month_url("csv", 2027, 1)).content.decode("utf-8")
    assert "'=HYPERLINK(1)" in body


def test_a_month_not_written_has_no_csv(client_of, operator, written):
    assert client_of(operator).get(month_url("csv", 2027, 2)).status_code == 404


@pytest.mark.parametrize("persona", ["teacher", "org_admin", "examinee"])
def test_people_of_a_school_cannot_open_the_billing_pages(request, client_of, written, persona):
    client = client_of(request.getfixturevalue(persona))
    for url in (
        reverse("admin:operations_billingsnapshot_changelist"),
        month_url("month", 2027, 1),
        month_url("csv", 2027, 1),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_a_snapshot_is_read_only_in_the_console(client_of, operator, written):
    from operations.models import BillingSnapshot

    snapshot = BillingSnapshot.objects.first()
    client = client_of(operator)
    page = client.get(reverse("admin:operations_billingsnapshot_change", args=[snapshot.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert "さくら小学校" in page.content.decode() or "みどり中学校" in page.content.decode()
    assert client.post(reverse("admin:operations_billingsnapshot_delete", args=[snapshot.pk])).status_code == 403
    assert BillingSnapshot.objects.filter(pk=snapshot.pk).exists()
