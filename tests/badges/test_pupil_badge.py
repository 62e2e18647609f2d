"""The pupil's badge: the card on the result page, the downloads, the public verification page, and the
issue's Done-when: a downloaded badge is accepted by `manage.py verify_badge` until the teacher revokes the
result (docs/design.md §12).
"""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from badges import baking, services, verification
from proctoring import services as proctoring_services
from tests.badges.test_awards import BASE, sat
from tests.conftest import make_exam

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_network")]

REASON = "テスト中に話していたため"


@pytest.fixture(autouse=True)
def public_base_url(settings):
    settings.PUBLIC_BASE_URL = BASE


@pytest.fixture
def exam(db):
    return make_exam(code="kanji-3")  # the operator's catalog: 5 questions drawn, 60% passes


@pytest.fixture
def passed(school_class, examinee, teacher, exam):
    attempt = sat(school_class, examinee, exam, teacher, correct=4)
    assert attempt.passed
    return attempt


def mine(kind: str, attempt) -> str:
    return reverse(f"badges:mine_{kind}", args=[attempt.pk])


def revoke(attempt, teacher) -> None:
    proctoring_services.result_revoke(attempt=attempt, by=teacher, reason=REASON)


def verify_command(path) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify_badge", str(path), stdout=out, stderr=io.StringIO())
    except SystemExit as exit:
        return exit.code, out.getvalue()
    return 0, out.getvalue()


# --- The Done-when ---------------------------------------------------------------------


def test_a_downloaded_badge_verifies_until_the_teacher_revokes_the_result(
    client_of, examinee, teacher, passed, tmp_path
):
    response = client_of(examinee).get(mine("json", passed))
    assert response.status_code == 200
    badge = tmp_path / "badge.json"
    badge.write_bytes(response.content)
    status, out = verify_command(badge)
    assert status == 0, out
    assert "このバッジは有効です。" in out

    client_of(teacher).post(reverse("proctoring:result_revoke", args=[passed.pk]), {"reason": REASON, "back": "report"})
    assert services.award_of(passed).is_revoked
    status, out = verify_command(badge)
    assert status == 1
    assert "この資格情報は取り消されています。" in out
    assert out.rstrip().endswith("理由: revoked")


def test_a_baked_png_download_verifies_too(client_of, examinee, passed, tmp_path):
    response = client_of(examinee).get(mine("png", passed))
    picture = tmp_path / "badge.png"
    picture.write_bytes(response.content)
    assert verify_command(picture)[0] == 0


# --- Downloads -------------------------------------------------------------------------------------


def test_the_json_download_is_the_signed_credential_as_an_attachment(client_of, examinee, passed):
    response = client_of(examinee).get(mine("json", passed))
    award = services.award_of(passed)
    assert json.loads(response.content) == award.credential
    assert response["Content-Type"].startswith("application/vc+ld+json")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert re.search(r"filename\*=utf-8''.+_\d{4}-\d{2}-\d{2}\.json$", disposition), disposition
    assert "no-store" in response["Cache-Control"]
    assert verification.verify(json.loads(response.content)).valid


def test_the_png_download_is_a_png_with_the_credential_baked_in(client_of, examinee, passed):
    response = client_of(examinee).get(mine("png", passed))
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Disposition"].endswith(".png")
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert baking.unbake(response.content) == services.award_of(passed).credential


@pytest.mark.parametrize("kind", ["json", "png"])
def test_only_the_pupil_downloads_their_badge(
    client_of, passed, examinee_of_other_class, foreign_examinee, teacher, kind
):
    for someone in (examinee_of_other_class, foreign_examinee, teacher):
        assert client_of(someone).get(mine(kind, passed)).status_code == 404, someone


@pytest.mark.parametrize("kind", ["json", "png"])
def test_no_download_for_a_failed_attempt_or_a_revoked_badge(
    client_of, school_class, examinee, teacher, exam, passed, organization, kind
):
    from classrooms.models import User
    from tests.conftest import enroll, make_user

    failing = make_user("failing", User.Role.EXAMINEE, organization)
    enroll(school_class, failing, number=2)
    failed = sat(school_class, failing, exam, teacher, correct=1)
    assert client_of(failing).get(mine(kind, failed)).status_code == 404
    assert client_of(examinee).get(mine(kind, passed)).status_code == 200
    revoke(passed, teacher)
    assert client_of(examinee).get(mine(kind, passed)).status_code == 404


def test_a_badge_not_signed_yet_is_signed_on_download(client_of, examinee, passed):
    award = services.award_of(passed)
    type(award).objects.filter(pk=award.pk).update(credential=None, signed_at=None)
    response = client_of(examinee).get(mine("json", passed))
    assert response.status_code == 200
    assert verification.verify(json.loads(response.content)).valid


# --- The result page's card ------------------------------------------------------------------------


def test_the_result_page_shows_the_badge_card(client_of, examinee, passed):
    award = services.award_of(passed)
    html = client_of(examinee).get(reverse("exams:result", args=[passed.pk])).content.decode()
    assert "あなたのバッジ" in html
    assert award.achievement.name_ja in html
    assert award.issuer.display_name in html
    assert f'href="{mine("json", passed)}"' in html
    assert f'href="{mine("png", passed)}"' in html
    share = f"{BASE}/badges/v/{award.public_id}/"
    assert f'value="{share}"' in html
    assert "js/badge_share.js" in html
    assert "data-copy-from=" in html


def test_a_failed_result_has_no_card(client_of, school_class, teacher, exam, organization):
    from classrooms.models import User
    from tests.conftest import enroll, make_user

    failing = make_user("failing", User.Role.EXAMINEE, organization)
    enroll(school_class, failing, number=2)
    failed = sat(school_class, failing, exam, teacher, correct=1)
    html = client_of(failing).get(reverse("exams:result", args=[failed.pk])).content.decode()
    assert "badge-card" not in html
    assert "badge_share.js" not in html


def test_a_revoked_badge_says_so_with_the_results_reason(client_of, examinee, teacher, passed):
    revoke(passed, teacher)
    html = client_of(examinee).get(reverse("exams:result", args=[passed.pk])).content.decode()
    assert "このバッジは取り消されました" in html
    assert html.count(REASON) == 2  # the result's notice and the badge's
    assert mine("json", passed) not in html
    assert "/badges/v/" not in html


# --- The public verification page -----------------------------------------------------------------


def verify_url(award) -> str:
    return reverse("badges:verify", args=[award.public_id])


def test_the_verification_page_says_the_badge_is_valid_without_sign_in(client, passed):
    award = services.award_of(passed)
    response = client.get(verify_url(award))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-valid="true"' in html
    assert "このバッジは有効です。" in html
    assert "署名は正しく、内容は発行後に変更されていません。" in html
    assert award.achievement.name_ja in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"]
    assert passed.examinee.name not in html


def test_the_verification_page_in_english(client, passed):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        html = client.get(verify_url(services.award_of(passed))).content.decode()
    assert "This badge is valid." in html
    assert "The signature is correct" in html


def test_the_verification_page_says_revoked_but_not_why(client, teacher, passed):
    revoke(passed, teacher)
    html = client.get(verify_url(services.award_of(passed))).content.decode()
    assert 'data-valid="false"' in html
    assert "この資格情報は取り消されています。" in html
    assert REASON not in html


def test_the_verification_page_verifies_again_each_time(client, passed, settings):
    """A key withdrawn after a leak: the next visit says the badge no longer verifies."""
    award = services.award_of(passed)
    services.award_sign(award)
    assert 'data-valid="true"' in client.get(verify_url(award)).content.decode()
    from badges import keys

    settings.BADGE_SIGNING_KEYS = [keys.generate().secret_key_multibase]
    html = client.get(verify_url(award)).content.decode()
    assert 'data-valid="false"' in html
    assert "この発行者が公開している鍵ではありません" in html


def test_an_unknown_badge_is_404(client, db):
    assert client.get(reverse("badges:verify", args=["no-such-badge"])).status_code == 404


def test_a_regrade_that_fails_the_result_revokes_the_card_with_the_regrade_wording(
    client_of, examinee, school_class, teacher, exam, operator, settings
):
    from exams.models import Choice
    from exams.regrade import question_regrade

    settings.LANGUAGE_CODE = "en"
    attempt = sat(school_class, examinee, exam, teacher, correct=3)  # 3/5 = 60%: a pass
    first = attempt.questions.order_by("position").first().question
    wrong = Choice.objects.filter(question=first, is_correct=False).first()
    question_regrade(question=first, reason="正答の誤り", by=operator, correct=[wrong.pk])
    html = client_of(examinee).get(reverse("exams:result", args=[attempt.pk])).content.decode()
    assert "This badge was revoked." in html
    assert "The result was scored again and no longer passes" in html
    assert client_of(examinee).get(mine("json", attempt)).status_code == 404
