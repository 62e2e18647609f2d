"""The badges' public documents (docs/design.md §12, docs/badges.md): no sign-in, GET and HEAD only, any
origin, the right media types, cacheable with an ETag, absolute ids from PUBLIC_BASE_URL, random ids only.
"""

from __future__ import annotations

import json

import pytest
from django.urls import NoReverseMatch, reverse

from badges import keys, services
from badges.models import Award
from classrooms.models import User
from tests.badges.test_awards import BASE, sat
from tests.conftest import enroll, make_exam, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def public_base_url(settings):
    settings.PUBLIC_BASE_URL = BASE


@pytest.fixture
def award(school_class, examinee, teacher) -> Award:
    return services.award_of(sat(school_class, examinee, make_exam(code="public-docs"), teacher, correct=5))


def urls_of(award: Award) -> dict[str, str]:
    return {
        "issuer": reverse("badges:issuer", kwargs={"public_id": award.issuer.public_id}),
        "keys": reverse("badges:keys", kwargs={"public_id": award.issuer.public_id}),
        "achievement": reverse("badges:achievement", kwargs={"public_id": award.achievement.public_id}),
        "image": reverse("badges:image", kwargs={"public_id": award.achievement.public_id}),
        "credential": reverse("badges:credential", kwargs={"public_id": award.public_id}),
        "status_list": reverse("badges:status_list", kwargs={"public_id": award.status_list.public_id}),
    }


MEDIA_TYPES = {
    "issuer": "application/ld+json",
    "keys": "application/ld+json",
    "achievement": "application/ld+json",
    "image": "image/svg+xml",
    "credential": "application/vc+ld+json",
    "status_list": "application/vc+ld+json",
}


@pytest.mark.parametrize("name", list(MEDIA_TYPES))
def test_each_document_is_public_with_its_media_type_cors_and_cache_headers(client, award, name):
    url = urls_of(award)[name]
    assert url.startswith("/badges/")
    response = client.get(url, headers={"origin": "https://wallet.example"})
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == MEDIA_TYPES[name]
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["ETag"].startswith('"')
    cache = response["Cache-Control"]
    assert "public" in cache
    assert ("max-age=60" in cache) if name == "status_list" else ("max-age=3600" in cache)

    again = client.get(url, headers={"if-none-match": response["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert client.head(url).status_code == 200
    for method in (client.post, client.put, client.delete):
        assert method(url).status_code == 405


def test_the_documents_name_each_other_by_absolute_urls(client, award):
    urls = urls_of(award)
    badge = json.loads(client.get(urls["credential"]).content)
    assert badge["id"] == BASE + urls["credential"]
    assert badge["issuer"]["id"] == BASE + urls["issuer"]
    assert badge["credentialStatus"]["statusListCredential"] == BASE + urls["status_list"]
    achievement = badge["credentialSubject"]["achievement"]
    assert achievement["id"] == BASE + urls["achievement"]
    assert achievement["image"] == {"id": BASE + urls["image"], "type": "Image", "caption": achievement["name"]}
    assert achievement["related"][0]["inLanguage"] == "en"
    assert (
        badge["proof"]["verificationMethod"]
        == f"{BASE}{urls['issuer']}#{keys.current_signing_key().public_key_multibase}"
    )

    profile = json.loads(client.get(urls["issuer"]).content)
    assert profile["type"] == ["Profile"]
    assert badge["proof"]["verificationMethod"] in profile["assertionMethod"]
    assert [method["controller"] for method in profile["verificationMethod"]] == [profile["id"]]
    key_documents = json.loads(client.get(urls["keys"]).content)
    assert key_documents[0]["type"] == "Multikey"
    assert key_documents[0]["id"] == badge["proof"]["verificationMethod"]

    english = json.loads(client.get(urls["achievement"] + "?lang=en").content)
    assert english["inLanguage"] == "en"
    assert english["name"] == award.achievement.name_en
    japanese = json.loads(client.get(urls["achievement"]).content)
    assert japanese["name"] == award.achievement.name_ja


def test_the_credential_is_signed_on_first_fetch_when_signing_after_the_result_failed(client, award):
    assert award.credential is None  # the commit's callback did not run in this test's transaction
    badge = json.loads(client.get(urls_of(award)["credential"]).content)
    award.refresh_from_db()
    assert award.credential == badge


def test_the_image_escapes_the_authors_words(client, award):
    award.achievement.name_ja = '<script>alert("x")</script>&'
    award.achievement.save()
    svg = client.get(urls_of(award)["image"]).content.decode()
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert svg.startswith("<?xml")


def test_guessing_does_not_reach_a_badge(client, award, organization):
    """A random id, an id one off, a numeric id: all 404. Ids never appear as numbers in the routes."""
    pupil = make_user("other-pupil", User.Role.EXAMINEE, organization)
    enroll(award.attempt.session.school_class, pupil, number=9)
    client.force_login(pupil)
    for guess in ("AAAAAAAAAAAAAAAAAAAAAA", award.public_id[:-1] + ("A" if award.public_id[-1] != "A" else "B")):
        assert client.get(reverse("badges:credential", kwargs={"public_id": guess})).status_code == 404
    assert client.get(f"/badges/credentials/{award.pk}").status_code == 404
    assert client.get(f"/badges/status/{award.status_list.pk}").status_code == 404
    assert client.get(f"/badges/issuers/{award.issuer.pk}").status_code == 404
    with pytest.raises(NoReverseMatch):
        reverse("badges:credential", kwargs={"pk": award.pk})


def test_another_schools_pupil_signed_in_cannot_list_or_find_badges(client, award, foreign_examinee):
    client.force_login(foreign_examinee)
    assert client.get("/badges/").status_code == 404
    assert client.get("/badges/credentials/").status_code == 404


def test_nothing_is_fetched_from_the_network_to_serve_or_verify(client, award, no_network):
    urls = urls_of(award)
    for url in urls.values():
        assert client.get(url).status_code == 200
    assert services.verify_award(award)
