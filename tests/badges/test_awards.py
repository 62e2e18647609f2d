"""Badges for results (docs/design.md §12): a pass awards one, a fail does not; revocation and regrading
follow the result; the signed badge verifies against the documents the service publishes.
"""

from __future__ import annotations

import copy
import hashlib
import json

import pytest
from django.urls import reverse

from badges import credentials, services, status_list
from badges.models import Achievement, Award, Issuer, StatusList
from classrooms.models import User
from exams import services as exam_services
from exams import versions as exam_versions
from exams.models import Attempt, Choice
from exams.regrade import question_regrade
from proctoring import services as proctoring_services
from tests.conftest import connect, enroll, make_exam, make_user

pytestmark = pytest.mark.django_db

BASE = "https://kantoku.example.jp"


@pytest.fixture(autouse=True)
def public_base_url(settings):
    settings.PUBLIC_BASE_URL = BASE


def sat(school_class, examinee, exam, teacher, *, correct: int) -> Attempt:
    """The examinee sits `exam` through the services and answers `correct` of its questions right; finished."""
    session = proctoring_services.session_open(school_class=school_class, exam=exam, by=teacher)
    seat, _attempt = proctoring_services.seat_take(session=session, examinee=examinee)
    connect(seat, f"channel-{examinee.pk}-{session.pk}")
    proctoring_services.session_start(session=session, by=teacher)
    attempt = session.attempts.get(examinee=examinee)
    for row in attempt.questions.order_by("position"):
        right = Choice.objects.get(question=row.question, is_correct=True).pk
        wrong = next(choice for choice in row.choice_order if choice != right)
        answer = right if row.position < correct else wrong
        exam_services.answer_save(attempt=attempt, position=row.position, choice=row.choice_order.index(answer), seq=1)
    exam_services.attempt_finish(attempt=attempt, reason=Attempt.FinishReason.SUBMITTED)
    attempt.refresh_from_db()
    proctoring_services.session_end(session=session, by=teacher)
    return attempt


def fetch(client, name: str, **kwargs):
    response = client.get(reverse(f"badges:{name}", kwargs=kwargs))
    assert response.status_code == 200, (name, response.status_code)
    return json.loads(response.content)


def verify_as_outsider(client, award: Award) -> credentials.proofs.Verification:
    """What a verifier elsewhere does: fetch the badge, the issuer's keys and the status list over HTTP."""
    badge = fetch(client, "credential", public_id=award.public_id)
    profile = fetch(client, "issuer", public_id=award.issuer.public_id)
    resolve = credentials.proofs.key_resolver(
        profile["id"], [method["publicKeyMultibase"] for method in profile["verificationMethod"]]
    )
    listed = fetch(client, "status_list", public_id=award.status_list.public_id)
    return credentials.verify_badge(badge, resolve_key=resolve, status_list_credential=listed)


@pytest.fixture
def exam(db):
    return make_exam(code="kanji-3")  # the operator's catalog: 5 questions drawn, 60% passes


def test_a_pass_awards_a_badge_and_a_fail_does_not(school_class, examinee, teacher, exam, organization):
    failed_pupil = make_user("fails", User.Role.EXAMINEE, organization)
    enroll(school_class, failed_pupil, number=2)
    passed = sat(school_class, examinee, exam, teacher, correct=4)
    failed = sat(school_class, failed_pupil, exam, teacher, correct=1)
    assert (passed.passed, failed.passed) == (True, False)
    assert services.award_of(failed) is None
    award = services.award_of(passed)
    assert award is not None
    assert award.issuer.is_operator
    assert award.achievement.version == passed.version
    assert 0 <= award.status_index < award.status_list.size
    assert len(award.public_id) >= 22
    assert not award.public_id.isdigit()


def test_signing_runs_after_the_commit(school_class, examinee, teacher, exam, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        attempt = sat(school_class, examinee, exam, teacher, correct=5)
    award = services.award_of(attempt)
    assert award.credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert award.credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert award.signed_at is not None


def test_a_failure_to_sign_keeps_the_result_and_is_retried(
    school_class, examinee, teacher, exam, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("no key today")

    monkeypatch.setattr(services.keys, "current_signing_key", broken)
    with django_capture_on_commit_callbacks(execute=True):
        attempt = sat(school_class, examinee, exam, teacher, correct=5)
    assert attempt.passed
    assert attempt.status == Attempt.Status.FINISHED
    award = services.award_of(attempt)
    assert award.credential is None
    monkeypatch.undo()
    assert services.awards_sign_pending() == (1, 0)
    award.refresh_from_db()
    assert award.credential["proof"]["proofValue"].startswith("z")


def test_issue_verify_revoke_then_the_served_list_says_revoked(client, school_class, examinee, teacher, exam):
    attempt = sat(school_class, examinee, exam, teacher, correct=5)
    award = services.award_of(attempt)
    assert verify_as_outsider(client, award) == credentials.proofs.Verification(True)

    reason = "テスト中に教科書を見ていたため、この結果は取り消します。"
    proctoring_services.result_revoke(attempt=attempt, by=teacher, reason=reason)
    award.refresh_from_db()
    assert award.is_revoked
    assert (award.revoked_for, award.revocation_reason) == (Award.RevokedFor.MISCONDUCT, reason)
    result = verify_as_outsider(client, award)
    assert result == credentials.proofs.Verification(False, "the badge was revoked")


def test_the_bit_is_set_in_the_revocations_transaction(school_class, examinee, teacher, exam):
    attempt = sat(school_class, examinee, exam, teacher, correct=5)
    award = services.award_of(attempt)
    assert not award.status_list.entries().get(award.status_index)
    proctoring_services.result_revoke(attempt=attempt, by=teacher, reason="不正")
    assert StatusList.objects.get(pk=award.status_list_id).entries().get(award.status_index)


def test_a_changed_name_fails_verification(client, school_class, examinee, teacher, exam):
    award = services.award_sign(services.award_of(sat(school_class, examinee, exam, teacher, correct=5)))
    tampered = copy.deepcopy(award.credential)
    tampered["credentialSubject"]["achievement"]["name"] += "（満点）"
    result = credentials.verify_badge(
        tampered,
        resolve_key=services.key_resolver(award.issuer),
        status_list_credential=services.signed_status_list(award.status_list),
    )
    assert not result
    assert "signature does not match" in result.reason


def test_the_status_list_has_131072_entries_and_verifies(client, school_class, examinee, teacher, exam):
    award = services.award_of(sat(school_class, examinee, exam, teacher, correct=5))
    listed = fetch(client, "status_list", public_id=award.status_list.public_id)
    assert len(status_list.StatusList.decode(listed["credentialSubject"]["encodedList"])) >= 131_072
    assert credentials.proofs.verify(listed, resolve_key=services.key_resolver(award.issuer))
    assert listed["issuer"] == services.issuer_url(award.issuer)


def test_the_list_is_signed_again_only_when_its_bits_change(school_class, examinee, teacher, exam):
    attempt = sat(school_class, examinee, exam, teacher, correct=5)
    entries = services.award_of(attempt).status_list
    first = services.signed_status_list(entries)
    entries.refresh_from_db()
    assert services.signed_status_list(entries) is not None
    assert StatusList.objects.get(pk=entries.pk).signed == first
    proctoring_services.result_revoke(attempt=attempt, by=teacher, reason="不正")
    entries.refresh_from_db()
    again = services.signed_status_list(entries)
    assert again["credentialSubject"]["encodedList"] != first["credentialSubject"]["encodedList"]


def test_indexes_are_random_and_never_reused(exam):
    issuer = services.operator_issuer()
    taken = set()
    for _ in range(40):
        _entries, index = services.allocate_index(issuer)
        taken.add(index)
    assert len(taken) == 40
    assert StatusList.objects.get(issuer=issuer).allocated == 40
    assert max(taken) > 1000  # not handed out in order


def test_the_pupil_is_a_salted_hash_unless_the_school_shows_names(school_class, examinee, teacher, organization):
    school_exam = make_exam(code="school-kanji", organization=organization)
    version = school_exam.latest_version()
    draft = exam_versions.exam_draft_next_version(exam=school_exam, by=teacher)
    services.achievement_save(version=draft, enabled=True, texts=services.default_texts(draft))
    exam_versions.version_publish(version=draft, by=teacher)
    assert version.pk != draft.pk
    award = services.award_sign(services.award_of(sat(school_class, examinee, school_exam, teacher, correct=5)))
    [identity] = award.credential["credentialSubject"]["identifier"]
    assert identity["hashed"] is True
    assert identity["salt"] == award.salt
    assert identity["identityHash"] == "sha256$" + hashlib.sha256((examinee.login_id + award.salt).encode()).hexdigest()
    assert examinee.name not in json.dumps(award.credential, ensure_ascii=False)
    assert award.issuer.organization == organization
    assert award.credential["issuer"]["name"] == organization.name

    Issuer.objects.filter(organization=organization).update(show_pupil_name=True)
    Award.objects.filter(pk=award.pk).update(credential=None)
    award = services.award_sign(Award.objects.get(pk=award.pk))
    names = [i for i in award.credential["credentialSubject"]["identifier"] if i["identityType"] == "name"]
    assert names == [{"type": "IdentityObject", "identityHash": examinee.name, "identityType": "name", "hashed": False}]


def test_a_school_test_awards_only_when_turned_on(school_class, examinee, teacher, organization):
    school_exam = make_exam(code="school-quiz", organization=organization)
    attempt = sat(school_class, examinee, school_exam, teacher, correct=5)
    assert attempt.passed
    assert services.award_of(attempt) is None
    assert not Achievement.objects.exists()


def test_the_badge_setting_is_copied_to_the_next_draft_and_frozen_on_publish(teacher, organization):
    school_exam = make_exam(code="school-copy", organization=organization)
    school_exam.latest_version()
    draft = exam_versions.exam_draft_next_version(exam=school_exam, by=teacher)
    texts = {**services.default_texts(draft), "name_en": "Kanji, grade 3"}
    services.achievement_save(version=draft, enabled=True, texts=texts)
    exam_versions.version_publish(version=draft, by=teacher)
    with pytest.raises(services.BadgeError):
        services.achievement_save(version=draft, enabled=False, texts=texts)
    following = exam_versions.exam_draft_next_version(exam=school_exam, by=teacher)
    assert following.badge.enabled
    assert following.badge.name_en == "Kanji, grade 3"
    assert following.badge.pk != draft.badge.pk


def test_an_operator_version_awards_its_badge_on_publish_and_import(operator):
    exam = exam_versions.exam_create(
        organization=None,
        code="op-new",
        title="計算テスト",
        time_limit_minutes=10,
        questions_per_attempt=1,
        pass_mark_percent=50,
        by=operator,
    )
    version = exam.latest_version()
    question = exam_versions.question_add(version=version, by=operator, kind="single", prompt="1+1は？")
    question.choices.all().delete()
    Choice.objects.create(question=question, text="2", is_correct=True, position=0)
    Choice.objects.create(question=question, text="3", is_correct=False, position=1)
    exam_versions.version_publish(version=version, by=operator)
    achievement = Achievement.objects.get(version=version)
    assert achievement.enabled
    assert achievement.issuer.is_operator
    assert "計算テスト" in achievement.name_ja
    assert achievement.criteria_en


def test_regrading_revokes_a_pass_and_awards_a_new_pass(client, school_class, examinee, teacher, exam, operator):
    attempt = sat(school_class, examinee, exam, teacher, correct=3)  # 3/5 = 60%: a pass
    first = services.award_of(attempt)
    old_id, old_index = first.public_id, first.status_index
    drawn = [row.question for row in attempt.questions.order_by("position")]
    right_one = drawn[0]
    wrong_choice = Choice.objects.filter(question=right_one, is_correct=False).first()
    question_regrade(question=right_one, reason="正答の誤り", by=operator, correct=[wrong_choice.pk])
    attempt.refresh_from_db()
    assert attempt.passed is False
    first.refresh_from_db()
    assert first.is_revoked
    assert first.revoked_for == Award.RevokedFor.REGRADED
    assert verify_as_outsider(client, first).reason == "the badge was revoked"

    right = Choice.objects.get(question=right_one, position=0)  # make_exam's right answer
    question_regrade(question=right_one, reason="元に戻す", by=operator, correct=[right.pk])
    attempt.refresh_from_db()
    assert attempt.passed is True
    again = services.award_of(attempt)
    assert not again.is_revoked
    assert again.public_id != old_id
    assert again.status_index != old_index
    assert StatusList.objects.get(pk=again.status_list_id).entries().get(old_index)  # revocation is for good
    assert verify_as_outsider(client, again)


def test_a_revoked_result_gets_no_badge_from_a_regrade(school_class, examinee, teacher, exam):
    attempt = sat(school_class, examinee, exam, teacher, correct=1)
    proctoring_services.result_revoke(attempt=attempt, by=teacher, reason="不正")
    Attempt.objects.filter(pk=attempt.pk).update(passed=True)
    attempt.refresh_from_db()
    assert services.award_for_result(attempt=attempt) is None


def test_the_pupils_result_page_says_whether_the_badge_stands(client, settings, school_class, examinee, teacher, exam):
    settings.LANGUAGE_CODE = "en"
    attempt = sat(school_class, examinee, exam, teacher, correct=5)
    client.force_login(examinee)
    page = client.get(reverse("exams:result", args=[attempt.pk])).content.decode()
    assert "Your badge" in page  # the badge card (templates/badges/partials/badge_card.html)
    assert "This badge was revoked." not in page
    proctoring_services.result_revoke(attempt=attempt, by=teacher, reason="カンニングのため")
    page = client.get(reverse("exams:result", args=[attempt.pk])).content.decode()
    assert "This badge was revoked." in page


def test_a_result_page_without_badge_says_nothing_of_badges(client, settings, school_class, examinee, teacher, exam):
    settings.LANGUAGE_CODE = "en"
    attempt = sat(school_class, examinee, exam, teacher, correct=0)
    client.force_login(examinee)
    page = client.get(reverse("exams:result", args=[attempt.pk])).content.decode()
    assert "Your badge" not in page


def test_the_demo_data_has_the_operator_issuer_and_badges_for_the_sample_tests():
    from django.core.management import call_command

    call_command("load_demo", stdout=None)
    issuer = Issuer.objects.get(is_operator=True)
    awarding = Achievement.objects.filter(version__exam__code__in=["reading-spring", "mixed-quiz"], enabled=True)
    assert awarding.count() == 2
    assert {achievement.issuer for achievement in awarding} == {issuer}
    call_command("load_demo", stdout=None)
    assert Achievement.objects.count() == 2


def test_the_result_page_in_japanese_gives_the_reason(client, settings, school_class, examinee, teacher, exam):
    settings.LANGUAGE_CODE = "ja"
    attempt = sat(school_class, examinee, exam, teacher, correct=5)
    client.force_login(examinee)
    page = client.get(reverse("exams:result", args=[attempt.pk])).content.decode()
    assert "あなたのバッジ" in page  # the badge card (templates/badges/partials/badge_card.html)
    assert "このバッジは取り消されました" not in page
    award = services.award_revoke(attempt=attempt, revoked_for=Award.RevokedFor.MISCONDUCT, reason="確認のため")
    assert award.is_revoked
    page = client.get(reverse("exams:result", args=[attempt.pk])).content.decode()
    assert "このバッジは取り消されました。" in page
    assert '<dd class="revocation-reason">確認のため</dd>' in page


def test_an_index_is_never_given_again_after_its_award_went(school_class, examinee, teacher, exam, monkeypatch):
    """A school's deleted data takes its award rows; the indexes they had stay used (a badge someone holds
    still reads its bit).
    """
    award = services.award_of(sat(school_class, examinee, exam, teacher, correct=5))
    taken = award.status_index
    Award.objects.filter(pk=award.pk).delete()
    draws = iter([taken, taken, 7])
    monkeypatch.setattr(services.secrets, "randbelow", lambda size: next(draws))
    _entries, index = services.allocate_index(award.issuer)
    assert index == 7
