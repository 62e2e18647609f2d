"""What the ZIP of one school holds: everything it may keep, nothing of another school, no secret (§8.4)."""

from __future__ import annotations

import csv
import io

import pytest

from classrooms.models import Membership, User
from classrooms.schoolyear import today
from operations.export_files import EXPORT_FILES
from operations.models import DataExport
from tests.conftest import make_organization
from tests.operations.conftest import INCIDENT_NOTE, MESSAGE_BODY, NOTICE_BODY, build_export, populate, zip_texts


@pytest.fixture
def schools(db, operator):
    alpha = populate(make_organization("alpha", "ALPHA学園"), "ALPHA", operator)
    bravo = populate(make_organization("bravo", "BRAVO学園"), "BRAVO", operator)
    return alpha, bravo


@pytest.fixture
def alpha_zip(schools):
    alpha, _bravo = schools
    export = build_export(alpha.organization, alpha.admin)
    assert export.status == DataExport.Status.DONE
    return zip_texts(export.path)


def rows_of(texts: dict[str, str], name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(texts[name])))


def test_the_zip_has_a_readme_and_every_file_with_its_header(alpha_zip):
    assert set(alpha_zip) == {"README.txt"} | {export_file.name for export_file in EXPORT_FILES}
    for export_file in EXPORT_FILES:
        assert next(csv.reader(io.StringIO(alpha_zip[export_file.name]))) == export_file.header
        assert f"■ {export_file.name}" in alpha_zip["README.txt"]
        for column, _about in export_file.columns:
            assert f"・{column}" in alpha_zip["README.txt"]
    assert "ALPHA学園" in alpha_zip["README.txt"]


def test_nothing_of_another_school_is_in_the_zip(alpha_zip):
    for name, text in alpha_zip.items():
        assert "bravo" not in text.lower(), name


def test_no_password_hash_message_body_or_incident_note_is_in_the_zip(alpha_zip):
    hashes = list(User.objects.values_list("password", flat=True))
    secrets = [
        pattern.format(tag=tag) for pattern in (MESSAGE_BODY, NOTICE_BODY, INCIDENT_NOTE) for tag in ("ALPHA", "BRAVO")
    ]
    for name, text in alpha_zip.items():
        assert not any(secret in text for secret in secrets), name
        assert not any(password_hash in text for password_hash in hashes), name
        assert "md5$" not in text, name
        assert "argon2" not in text, name


def test_the_roster_lists_classes_people_and_enrollments(schools, alpha_zip):
    alpha, _bravo = schools
    assert rows_of(alpha_zip, "classes.csv")[0]["学級名"] == "ALPHA組"
    people = {row["利用者ID"]: row for row in rows_of(alpha_zip, "people.csv")}
    assert list(people) == ["alpha-admin", "alpha-teacher", "alpha-pupil", "alpha-cheat"]  # by role, then kana
    assert people["alpha-pupil"]["氏名"] == "ALPHA児童"
    assert people["alpha-pupil"]["ふりがな"] == "alphaじどう"
    assert people["alpha-pupil"]["所属開始日"] == Membership.objects.get(user=alpha.pupil).starts_on.isoformat()
    enrollment = next(row for row in rows_of(alpha_zip, "enrollments.csv") if row["利用者ID"] == "alpha-pupil")
    assert (enrollment["出席番号"], enrollment["時間の配慮"], enrollment["在籍終了日"]) == ("7", "1.00", "")


def test_results_and_answers_keep_scores_but_not_of_a_revoked_result(schools, alpha_zip):
    alpha, _bravo = schools
    results = {row["受検ID"]: row for row in rows_of(alpha_zip, "results.csv")}
    kept, revoked = results[str(alpha.attempt.pk)], results[str(alpha.revoked.pk)]
    assert (kept["得点"], kept["満点"], kept["得点率(%)"], kept["合否"], kept["取消"]) == ("4", "5", "80", "合格", "")
    assert (revoked["得点"], revoked["合否"], revoked["取消"]) == ("", "", "取消")
    answers = rows_of(alpha_zip, "answers.csv")
    assert {row["受検ID"] for row in answers} == {str(alpha.attempt.pk)}
    assert [row["問番号"] for row in answers] == ["1", "2", "3", "4", "5"]
    assert answers[0]["選んだ答え"] == "選択肢0-0"
    assert answers[0]["正誤"] == "正解"


def test_incidents_revocations_and_messaging_metadata_are_listed(schools, alpha_zip):
    alpha, _bravo = schools
    incident = rows_of(alpha_zip, "incidents.csv")[0]
    assert (incident["インシデントID"], incident["区分"]) == (str(alpha.incident.pk), "筆記用具・書籍・他の機器の使用")
    assert incident["対象者の利用者ID"] == "alpha-cheat"
    assert incident["判断"] == "結果の取消"
    revocation = rows_of(alpha_zip, "revocations.csv")[0]
    assert (revocation["受検ID"], revocation["理由"]) == (str(alpha.revoked.pk), "ALPHA取消理由")
    message = rows_of(alpha_zip, "messages.csv")[0]
    assert (message["送信者の利用者ID"], message["受信者の利用者ID"]) == ("alpha-teacher", "alpha-pupil")
    assert message["大きさ(バイト)"] == str(len(MESSAGE_BODY.format(tag="ALPHA")))
    notice = rows_of(alpha_zip, "notices.csv")[0]
    assert (notice["宛先の人数"], notice["既読の人数"]) == ("2", "2")
    assert any(row["操作"] for row in rows_of(alpha_zip, "audit_log.csv"))


def test_a_person_who_left_is_not_named(schools, operator):
    alpha, _bravo = schools
    Membership.objects.filter(user=alpha.cheat).update(ends_on=today())
    texts = zip_texts(build_export(alpha.organization, alpha.admin).path)
    assert "alpha-cheat" not in "".join(texts.values())
    assert "ALPHA生徒" not in "".join(texts.values())
    revoked = next(row for row in rows_of(texts, "results.csv") if row["受検ID"] == str(alpha.revoked.pk))
    assert (revoked["氏名"], revoked["利用者ID"]) == ("以前の所属者", "")


def test_cells_that_look_like_formulas_are_neutralized(schools):
    alpha, _bravo = schools
    User.objects.filter(pk=alpha.pupil.pk).update(name="=HYPERLINK(1)")
    texts = zip_texts(build_export(alpha.organization, alpha.admin).path)
    assert "'=HYPERLINK(1)" in texts["people.csv"]
