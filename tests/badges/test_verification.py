"""Offline verification and its report (docs/design.md §12), against stand-in published documents.

The issuer and the status list live at https://kantoku.example/badges/…, which PUBLIC_BASE_URL names as
this service, so the verifier reads them in-process through tests/badges/own_documents.py; any other
address must be reported as not checkable offline, and no test may open a socket (`no_network`).
"""

from __future__ import annotations

import copy
import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from badges import baking, credentials, keys, status_list, verification
from tests.badges.conftest import ISSUER
from tests.badges.own_documents import PUBLISHED
from tests.badges.test_baking import tiny_png
from tests.badges.test_credentials import INDEX, badge, list_credential

pytestmark = [pytest.mark.urls("tests.badges.own_documents"), pytest.mark.usefixtures("no_network")]


@pytest.fixture(autouse=True)
def published(settings, issuer_key):
    """The service at https://kantoku.example signs with `issuer_key` and publishes its key and an empty list."""
    settings.PUBLIC_BASE_URL = "https://kantoku.example"
    settings.BADGE_SIGNING_KEYS = [issuer_key.secret_key_multibase]
    settings.BADGE_RETIRED_PUBLIC_KEYS = []
    PUBLISHED.clear()
    PUBLISHED["issuer"] = {
        "id": ISSUER,
        "type": ["Profile"],
        "name": "かんとく小学校",
        "verificationMethod": [keys.multikey_document(ISSUER, issuer_key.public_key_multibase)],
    }
    publish_list(status_list.StatusList(), issuer_key)
    yield
    PUBLISHED.clear()


def publish_list(entries: status_list.StatusList, key: keys.SigningKey) -> None:
    PUBLISHED["status"] = list_credential(entries, key)


def signed(key: keys.SigningKey, **overrides) -> dict:
    return credentials.issue(badge(**overrides), key=key)


def outcomes(report: verification.Report) -> dict[str, str]:
    return {check.name: check.outcome for check in report.checks}


def test_a_valid_badge_passes_every_check(issuer_key):
    report = verification.verify(signed(issuer_key))
    assert outcomes(report) == dict.fromkeys(["format", "issuer", "signature", "dates", "status"], "passed")
    assert report.valid
    assert report.reason == ""


def test_the_report_speaks_plain_japanese(issuer_key):
    with translation.override("ja"):
        report = verification.verify(signed(issuer_key))
        text = "\n".join(report.lines())
    assert "署名は正しく、内容は発行後に変更されていません" in text
    assert "このバッジは有効です" in text


def test_one_character_changed_in_the_name_fails_the_signature(issuer_key):
    credential = signed(issuer_key)
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["achievement"]["name"] = "漢字テスト 4年"  # 3 → 4
    report = verification.verify(tampered)
    assert not report.valid
    assert report.reason == verification.SIGNATURE
    assert outcomes(report)["signature"] == "failed"
    assert verification.verify(credential).valid  # the untouched one still passes


def test_a_revoked_badge_fails_with_the_reason_revoked(issuer_key):
    credential = signed(issuer_key)
    entries = status_list.StatusList()
    entries.set(INDEX)
    publish_list(entries, issuer_key)
    report = verification.verify(credential)
    assert not report.valid
    assert report.reason == "revoked"
    assert outcomes(report) == {
        "format": "passed",
        "issuer": "passed",
        "signature": "passed",
        "dates": "passed",
        "status": "failed",
    }
    with translation.override("ja"):
        assert "この資格情報は取り消されています" in "\n".join(verification.verify(credential).lines())


def test_another_badge_revoked_leaves_this_one_valid(issuer_key):
    entries = status_list.StatusList()
    entries.set(INDEX + 1)
    publish_list(entries, issuer_key)
    assert verification.verify(signed(issuer_key)).valid


def test_a_status_list_signed_by_someone_else_is_not_trusted(issuer_key):
    publish_list(status_list.StatusList(), keys.generate())
    report = verification.verify(signed(issuer_key))
    assert report.reason == verification.STATUS
    assert "does not verify" in report.checks[-1].detail


def test_an_expired_badge_fails(issuer_key):
    document = badge()
    document["validUntil"] = "2027-01-01T00:00:00Z"
    credential = credentials.issue(document, key=issuer_key)
    before = datetime.datetime(2026, 12, 31, tzinfo=datetime.UTC)
    assert verification.verify(credential, now=before).valid
    report = verification.verify(credential, now=before + datetime.timedelta(days=1))
    assert not report.valid
    assert report.reason == "expired"
    assert outcomes(report)["signature"] == "passed"


def test_a_badge_not_valid_yet_fails(issuer_key):
    future = (timezone.now() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    report = verification.verify(signed(issuer_key, valid_from=future))
    assert report.reason == verification.NOT_YET_VALID


def test_a_key_this_service_does_not_publish_fails(issuer_key):
    stranger = keys.generate()  # signs with the issuer's id as controller, but is not published
    report = verification.verify(signed(stranger))
    assert report.reason == verification.UNKNOWN_KEY
    assert outcomes(report)["signature"] == "not_checked"


def test_a_key_in_the_document_but_not_configured_is_refused(settings, issuer_key):
    """The key document is served by this service; a key must also be one of published_public_keys()."""
    settings.BADGE_SIGNING_KEYS = [keys.generate().secret_key_multibase]
    report = verification.verify(signed(issuer_key))
    assert report.reason == verification.UNKNOWN_KEY


def test_a_retired_key_still_verifies(settings, issuer_key):
    settings.BADGE_SIGNING_KEYS = [keys.generate().secret_key_multibase]
    settings.BADGE_RETIRED_PUBLIC_KEYS = [issuer_key.public_key_multibase]
    assert verification.verify(signed(issuer_key)).valid


def test_another_issuer_is_not_fetched(issuer_key):
    """An issuer elsewhere: not fetched (no_network would fail the test), reported as not checkable offline."""
    elsewhere = "https://badges.other.example/issuer"
    document = badge(issuer_id=elsewhere)
    credential = credentials.issue(document, key=issuer_key)
    report = verification.verify(credential)
    assert not report.valid
    assert report.reason == verification.OFFLINE
    assert outcomes(report) == {
        "format": "passed",
        "issuer": "not_checked",
        "signature": "not_checked",
        "dates": "passed",
        "status": "not_checked",
    }
    with pytest.raises(verification.NotOurs):
        verification.own_document(elsewhere)


def test_a_status_list_elsewhere_is_not_fetched(issuer_key):
    status = status_list.status_entry(list_credential_id="https://lists.other.example/1", index=INDEX)
    report = verification.verify(signed(issuer_key, status=status))
    assert outcomes(report)["signature"] == "passed"
    assert outcomes(report)["status"] == "not_checked"
    assert report.reason == verification.OFFLINE


@pytest.mark.parametrize(
    "url",
    [
        "http://kantoku.example/badges/issuer",  # another scheme
        "https://kantoku.example.evil/badges/issuer",
        "https://evil.example/https://kantoku.example/badges/issuer",
        "https://kantoku.example@evil.example/badges/issuer",
    ],
)
def test_only_urls_under_the_public_base_are_ours(url):
    assert verification.is_ours("https://kantoku.example/badges/issuer")
    assert not verification.is_ours(url)


def test_a_base_with_a_path_prefix(settings, issuer_key):
    settings.PUBLIC_BASE_URL = "https://kantoku.example/badges/"
    assert verification.is_ours("https://kantoku.example/badges/issuer")
    assert not verification.is_ours("https://kantoku.example/exam/1")


def test_a_missing_document_is_none(issuer_key):
    assert verification.own_document("https://kantoku.example/badges/nothing-here") is None
    del PUBLISHED["status"]
    report = verification.verify(signed(issuer_key))
    assert report.reason == verification.STATUS


@pytest.mark.parametrize(
    "change",
    [
        lambda document: document.pop("proof"),
        lambda document: document.update(type=["VerifiableCredential"]),
        lambda document: document.update({"@context": ["https://www.w3.org/ns/credentials/v2"]}),
        lambda document: document.pop("issuer"),
    ],
)
def test_what_is_not_an_open_badge_is_refused_before_any_other_check(issuer_key, change):
    document = signed(issuer_key)
    change(document)
    report = verification.verify(document)
    assert report.reason == verification.FORMAT
    assert [check.name for check in report.checks] == ["format"]


def test_a_file_is_read_as_json_or_as_a_baked_png(issuer_key):
    credential = signed(issuer_key)
    as_json = json.dumps(credential, ensure_ascii=False).encode()
    assert verification.load_credential(as_json) == credential
    assert verification.load_credential(baking.bake(tiny_png()[0], credential)) == credential
    assert verification.verify_bytes(baking.bake(tiny_png()[0], credential)).valid


@pytest.mark.parametrize("data", [b"", b"not json", b"[1, 2]", tiny_png()[0], b"\x89PNG\r\n\x1a\nbroken"])
def test_an_unreadable_file_is_said_so(data):
    with pytest.raises(verification.UnreadableCredential):
        verification.load_credential(data)


# --- manage.py verify_badge ------------------------------------------------------------------------


def run_command(path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_badge", str(path), stdout=out, stderr=err)
    except SystemExit as exit:
        return exit.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_the_command_accepts_a_valid_json_file_and_a_baked_png(tmp_path, issuer_key):
    credential = signed(issuer_key)
    (tmp_path / "badge.json").write_text(json.dumps(credential, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "badge.png").write_bytes(baking.bake(tiny_png()[0], credential))
    for name in ("badge.json", "badge.png"):
        status, out, _err = run_command(tmp_path / name)
        assert status == 0, out
        assert "このバッジは有効です。" in out
        assert "[OK] 署名: 署名は正しく、内容は発行後に変更されていません。" in out


def test_the_command_refuses_a_revoked_badge_with_status_1(tmp_path, issuer_key):
    credential = signed(issuer_key)
    (tmp_path / "badge.json").write_text(json.dumps(credential), encoding="utf-8")
    entries = status_list.StatusList()
    entries.set(INDEX)
    publish_list(entries, issuer_key)
    status, out, _err = run_command(tmp_path / "badge.json")
    assert status == 1
    assert "[NG] 取り消し: この資格情報は取り消されています。" in out
    assert out.rstrip().endswith("理由: revoked")


def test_the_command_refuses_a_tampered_badge_with_status_1(tmp_path, issuer_key):
    text = json.dumps(signed(issuer_key), ensure_ascii=False).replace("80点以上で合格", "70点以上で合格")
    (tmp_path / "badge.json").write_text(text, encoding="utf-8")
    status, out, _err = run_command(tmp_path / "badge.json")
    assert status == 1
    assert "理由: signature" in out


@pytest.mark.parametrize("content", [b"", b"{not json", tiny_png()[0]])
def test_the_command_exits_2_for_an_unreadable_file(tmp_path, content):
    (tmp_path / "badge.bin").write_bytes(content)
    status, out, err = run_command(tmp_path / "badge.bin")
    assert status == 2
    assert out == ""
    assert err


def test_the_command_exits_2_for_a_missing_file(tmp_path):
    status, _out, err = run_command(tmp_path / "nothing.json")
    assert status == 2
    assert "nothing.json" in err


@pytest.mark.parametrize("document", ["issuer", "status"])
def test_a_failing_view_of_ours_is_reported_as_unavailable_not_as_a_verdict(issuer_key, document):
    """A server error answering our own document (e.g. no keys configured) says "try again", not "forged"."""
    PUBLISHED[document] = RuntimeError("no keys configured")
    report = verification.verify(signed(issuer_key))
    assert not report.valid
    assert report.reason == verification.UNAVAILABLE
    assert {"issuer": "issuer", "status": "status"}[document] in [
        check.name for check in report.checks if check.outcome == "not_checked"
    ]


def test_only_the_badges_documents_are_called_in_process():
    """A URL of ours that is not a badge document (any other page) is never called."""
    PUBLISHED["page"] = {"id": ISSUER}
    assert verification.own_document("https://kantoku.example/badges/issuer") is not None
    assert verification.own_document("https://kantoku.example/badges/page") is None
