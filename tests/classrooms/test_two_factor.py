"""Two-factor sign-in (docs/design.md §1, classrooms/two_factor.py): who is asked, enrolment with a
QR code, recovery codes, what a session reaches before the second factor, and the operator's reset.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from classrooms import two_factor
from classrooms.login_cards import qr_svg
from classrooms.models import AuditEntry, Organization, User
from classrooms.views.two_factor import SETUP_KEY_SESSION_KEY
from tests.classrooms.conftest import authenticator
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

VERIFY = reverse("classrooms:two_factor_verify")
SETUP = reverse("classrooms:two_factor_setup")
ACCOUNT = reverse("classrooms:two_factor_account")


def password_only(user: User) -> Client:
    """A browser that gave the right password on the sign-in page, and nothing more."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(reverse("classrooms:login"), {"username": user.login_id, "password": PASSWORD})
    assert response.status_code == 302, "the password was refused"
    return client


def code_of(device: TOTPDevice) -> str:
    """The code the person's app shows now, as django-otp computes it."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def being_set_up(client: Client, user: User) -> TOTPDevice:
    """The authenticator the setup page shows (its key waits in the session until confirmed)."""
    return TOTPDevice(user=user, key=client.session[SETUP_KEY_SESSION_KEY])


def recovery_codes(user: User, *tokens: str) -> StaticDevice:
    device = StaticDevice.objects.create(user=user, name="recovery codes")
    for token in tokens:
        StaticToken.objects.create(device=device, token=token)
    return device


# --- Who is asked ------------------------------------------------------------------------------


def test_new_organizations_require_it_by_default():
    assert Organization.objects.create(name="あたらしい小学校", code="atarashi").two_factor_required


def test_an_operator_is_asked_for_the_code_after_the_password(operator):
    authenticator(operator)
    response = password_only(operator).get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Foperator%2F"


def test_an_operator_without_a_device_is_sent_to_enrolment(operator):
    assert password_only(operator).get(reverse("classrooms:home"))["Location"].startswith(SETUP)


def test_an_org_admin_of_a_school_that_requires_it_is_asked(requiring, org_admin):
    authenticator(org_admin)
    assert password_only(org_admin).get(reverse("classrooms:orgadmin_teacher_list"))["Location"].startswith(VERIFY)


def test_an_org_admin_of_a_school_that_does_not_require_it_is_not_asked(organization, org_admin):
    assert not organization.two_factor_required
    response = password_only(org_admin).get(reverse("classrooms:orgadmin_teacher_list"))
    assert response.status_code == 200


def test_a_teacher_is_not_asked_until_they_opt_in(teacher):
    assert password_only(teacher).get(reverse("classrooms:teacher_class_list")).status_code == 200
    authenticator(teacher)
    assert password_only(teacher).get(reverse("classrooms:teacher_class_list"))["Location"].startswith(VERIFY)


def test_a_pupil_is_never_asked_and_never_sees_the_pages(examinee):
    authenticator(examinee)  # even a stray device changes nothing for a pupil
    client = password_only(examinee)
    assert client.get(reverse("classrooms:examinee_home")).status_code == 200
    for url in (VERIFY, SETUP, ACCOUNT):
        assert client.get(url).status_code == 404
    assert "Two-factor" not in client.get(reverse("classrooms:examinee_home")).content.decode()


# --- Before the second factor, nothing ------------------------------------------------------------


def assert_reaches_nothing(client: Client, urls: list[str]) -> None:
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(VERIFY), url
        htmx = client.get(url, HTTP_HX_REQUEST="true")
        assert htmx["HX-Redirect"] == VERIFY, url
        assert htmx.content == b"", url


def test_an_operator_reaches_nothing_before_the_second_factor(operator, organization):
    authenticator(operator)
    client = password_only(operator)
    assert_reaches_nothing(
        client,
        [
            reverse("classrooms:home"),
            reverse("admin:index"),
            reverse("admin:classrooms_organization_change", args=[organization.pk]),
            reverse("admin:classrooms_user_changelist"),
            reverse("classrooms:password_change"),
            reverse("classrooms:two_factor_account"),
            reverse("messaging:inbox"),
        ],
    )
    response = client.post(reverse("admin:classrooms_user_changelist"), {"action": "suspend", "_selected_action": []})
    assert response["Location"].startswith(VERIFY)


def test_an_org_admin_of_a_requiring_school_reaches_nothing_before_the_second_factor(requiring, org_admin, teacher):
    authenticator(org_admin)
    client = password_only(org_admin)
    assert_reaches_nothing(
        client,
        [
            reverse("classrooms:orgadmin_teacher_list"),
            reverse("classrooms:orgadmin_audit_log"),
            reverse("classrooms:orgadmin_examinee_list"),
            reverse("operations:export_list"),
        ],
    )
    # An htmx partial that would change something changes nothing.
    response = client.post(reverse("classrooms:orgadmin_teacher_suspend", args=[teacher.pk]), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == VERIFY
    teacher.refresh_from_db()
    assert teacher.is_active
    # Not even a new password without the second factor.
    client.post(
        reverse("classrooms:password_change"),
        {"old_password": PASSWORD, "new_password1": "another-long-pass", "new_password2": "another-long-pass"},
    )
    org_admin.refresh_from_db()
    assert org_admin.check_password(PASSWORD)


def test_the_pending_page_offers_nothing_but_the_code_and_signing_out(operator):
    authenticator(operator)
    page = password_only(operator).get(VERIFY).content.decode()
    assert reverse("admin:index") not in page
    assert reverse("messaging:inbox") not in page
    assert reverse("classrooms:logout") in page


def test_the_code_signs_in_and_goes_where_the_person_was_going(operator):
    device = authenticator(operator)
    client = password_only(operator)
    response = client.post(VERIFY, {"code": code_of(device), "next": reverse("admin:index")})
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_next_address_must_be_this_sites(operator):
    device = authenticator(operator)
    response = password_only(operator).post(VERIFY, {"code": code_of(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("classrooms:home")


def test_the_console_signs_in_on_the_sites_page(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('classrooms:login')}?next=/operator/"


# --- Enrolment ------------------------------------------------------------------------------------


def test_enrolment_shows_the_devices_key_and_a_code_from_it_turns_it_on(operator):
    client = password_only(operator)
    response = client.get(SETUP)
    pending = being_set_up(client, operator)
    assert not TOTPDevice.objects.exists()  # nothing is stored before a code confirms it

    url = urlsplit(pending.config_url)
    secret = parse_qs(url.query)["secret"][0]
    assert (url.scheme, url.netloc) == ("otpauth", "totp")
    assert secret == base64.b32encode(pending.bin_key).decode()
    assert parse_qs(url.query)["issuer"] == ["Kantoku"]
    page = response.content.decode()
    assert qr_svg(pending.config_url, title="QR code for your authenticator app") in page  # the QR code is this URL
    assert response.context["secret"].replace(" ", "") == secret  # and the key typed by hand is the same
    assert client.get(SETUP).context["secret"] == response.context["secret"]  # a reload shows the same key

    used = code_of(pending)
    confirmed = client.post(SETUP, {"code": used})

    device = TOTPDevice.objects.get(user=operator)
    assert device.confirmed
    assert device.key == pending.key
    assert len(confirmed.context["codes"]) == 10
    assert StaticToken.objects.filter(device__user=operator).count() == 10
    assert client.get(reverse("admin:index")).status_code == 200  # this session gave the code
    assert AuditEntry.objects.filter(action="two_factor.enrol", actor=operator).exists()
    # The code that confirmed the app cannot sign in again.
    assert "That code is not right" in password_only(operator).post(VERIFY, {"code": used}).content.decode()


def test_a_wrong_code_does_not_turn_it_on(operator):
    client = password_only(operator)
    client.get(SETUP)
    right = code_of(being_set_up(client, operator))
    response = client.post(SETUP, {"code": "000000" if right != "000000" else "111111"})
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.exists()


def test_someone_with_only_the_password_cannot_set_up_another_app(operator):
    authenticator(operator)
    client = password_only(operator)
    assert client.get(SETUP)["Location"] == VERIFY
    assert client.post(SETUP, {"code": "123456"})["Location"] == VERIFY
    assert TOTPDevice.objects.filter(user=operator).count() == 1


def test_a_new_phone_replaces_the_old_one_after_the_second_factor(teacher, client_of):
    old = authenticator(teacher)
    client = client_of(teacher)
    client.get(SETUP)
    new = being_set_up(client, teacher)

    codes = client.post(SETUP, {"code": code_of(new)}).context["codes"]

    assert list(TOTPDevice.objects.filter(user=teacher).values_list("key", flat=True)) == [new.key]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert len(codes) == 10
    assert client.get(reverse("classrooms:teacher_class_list")).status_code == 200


def test_recovery_codes_are_shown_once_and_each_works_once(operator):
    client = password_only(operator)
    client.get(SETUP)
    codes = client.post(SETUP, {"code": code_of(being_set_up(client, operator))}).context["codes"]
    assert len(set(codes)) == 10

    for url in (SETUP, ACCOUNT):  # never shown again
        assert not any(code in client.get(url).content.decode() for code in codes)
    account = client.get(ACCOUNT).content.decode()
    assert "10 recovery codes left" in account

    signed_in = password_only(operator)
    assert signed_in.post(VERIFY, {"code": codes[0].upper()})["Location"] == reverse("classrooms:home")
    assert AuditEntry.objects.filter(action="two_factor.recovery_code_used", details__count=9).exists()

    again = password_only(operator).post(VERIFY, {"code": codes[0]})
    assert "That code is not right" in again.content.decode()


def test_new_recovery_codes_replace_the_old_ones(operator):
    device = authenticator(operator)
    recovery_codes(operator, "oldcode1")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(operator)
    client.post(VERIFY, {"code": code_of(device)})

    codes = client.post(reverse("classrooms:two_factor_recovery_codes")).context["codes"]

    tokens = set(StaticToken.objects.filter(device__user=operator).values_list("token", flat=True))
    assert tokens == {code.replace("-", "") for code in codes}
    assert "oldcode1" not in tokens


# --- Teachers opt in, and out --------------------------------------------------------------------


def test_a_teacher_turns_it_on_and_off(teacher):
    client = password_only(teacher)
    assert "Two-factor sign-in is off" in client.get(ACCOUNT).content.decode()
    client.get(SETUP)
    client.post(SETUP, {"code": code_of(being_set_up(client, teacher))})
    assert "Two-factor sign-in is on" in client.get(ACCOUNT).content.decode()

    client.post(reverse("classrooms:two_factor_disable"))

    assert not TOTPDevice.objects.filter(user=teacher).exists()
    assert not StaticDevice.objects.filter(user=teacher).exists()
    assert AuditEntry.objects.filter(action="two_factor.disable", actor=teacher).exists()


def test_the_own_pages_change_nothing_without_a_device_and_a_code(teacher, client_of):
    client = client_of(teacher)
    client.get(SETUP)
    client.post(SETUP, {})
    client.post(reverse("classrooms:two_factor_recovery_codes"))
    client.post(reverse("classrooms:two_factor_disable"))
    assert not TOTPDevice.objects.exists()
    assert not StaticDevice.objects.exists()
    assert not AuditEntry.objects.exists()


def test_an_operator_cannot_turn_it_off(operator, client_of):
    client = client_of(operator)
    client.post(reverse("classrooms:two_factor_disable"))
    assert TOTPDevice.objects.filter(user=operator, confirmed=True).exists()


def test_the_org_admin_reads_that_their_school_requires_it(requiring, org_admin, client_of):
    page = client_of(org_admin).get(ACCOUNT, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Your school requires org admins to use two-factor sign-in." in page
    assert reverse("classrooms:two_factor_disable") not in page


# --- Wrong codes -----------------------------------------------------------------------------------


def test_wrong_codes_are_throttled_logged_and_audited(settings, requiring, org_admin, caplog):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1000  # the next try waits 1000 s: longer than any test runs
    device = authenticator(org_admin)
    client = password_only(org_admin)
    right = code_of(device)
    wrong = "123456" if right != "123456" else "654321"

    assert "That code is not right" in client.post(VERIFY, {"code": wrong}).content.decode()
    refused = client.post(VERIFY, {"code": right}).content.decode()

    assert "Too many wrong codes" in refused
    assert client.get(reverse("classrooms:orgadmin_teacher_list"))["Location"].startswith(VERIFY)
    entry = AuditEntry.objects.get(action="two_factor.failed")
    assert (entry.organization, entry.actor, entry.details) == (requiring, org_admin, {"kind": "app", "count": 1})
    assert "wrong two-factor code for sakura-admin" in caplog.text
    assert right not in caplog.text
    assert wrong not in caplog.text


# --- The operator's reset ----------------------------------------------------------------------


def test_the_operator_resets_an_org_admins_two_factor(requiring, org_admin, operator, client_of):
    authenticator(org_admin)
    recovery_codes(org_admin, "abcdefgh")
    admins_session = Client()
    admins_session.force_login(org_admin)
    url = reverse("admin:classrooms_user_two_factor_reset", args=[org_admin.pk])
    console = client_of(operator)
    assert url in console.get(reverse("admin:classrooms_user_change", args=[org_admin.pk])).content.decode()

    assert console.get(url).status_code == 200  # the confirmation first: nothing happens on GET
    assert TOTPDevice.objects.filter(user=org_admin).exists()
    console.post(url, {"confirmed": "yes"})

    assert not TOTPDevice.objects.filter(user=org_admin).exists()
    assert not StaticDevice.objects.filter(user=org_admin).exists()
    entry = AuditEntry.objects.get(action="two_factor.reset")
    assert (entry.organization, entry.actor, entry.target_id) == (requiring, operator, str(org_admin.pk))
    assert AuditEntry.action_label("two_factor.reset") != "two_factor.reset"
    assert admins_session.get(reverse("classrooms:home"))["Location"].startswith(reverse("classrooms:login"))
    assert password_only(org_admin).get(reverse("classrooms:home"))["Location"].startswith(SETUP)


def test_only_the_operator_resets(requiring, org_admin, other_teacher, client_of):
    authenticator(other_teacher)
    client = client_of(org_admin)
    response = client.post(
        reverse("admin:classrooms_user_two_factor_reset", args=[other_teacher.pk]), {"confirmed": "yes"}
    )
    assert response.status_code in (302, 404)
    assert not response.get("Location", "").endswith(reverse("admin:classrooms_user_change", args=[other_teacher.pk]))
    assert TOTPDevice.objects.filter(user=other_teacher).exists()


def test_an_operator_does_not_reset_their_own(operator, client_of):
    client = client_of(operator)
    client.post(reverse("admin:classrooms_user_two_factor_reset", args=[operator.pk]), {"confirmed": "yes"})
    assert TOTPDevice.objects.filter(user=operator).exists()
    assert not AuditEntry.objects.filter(action="two_factor.reset").exists()


def test_every_action_code_has_words():
    for code in two_factor.AUDIT_ACTIONS:
        assert AuditEntry.action_label(code) != code


def test_a_second_operator_is_asked_like_the_first(db):
    second = make_user("operator2", User.Role.OPERATOR, is_staff=True, is_superuser=True)
    assert two_factor.must_use(second)


def test_the_operator_sets_it_per_organization_in_the_console(client_of, operator, organization):
    client = client_of(operator)
    add_page = client.get(reverse("admin:classrooms_organization_add")).content.decode()
    box = re.search(r'<input type="checkbox" name="two_factor_required"[^>]*>', add_page)
    assert box is not None
    assert box.group(0).endswith(" checked>")  # on for a new one
    change_page = client.get(reverse("admin:classrooms_organization_change", args=[organization.pk]))
    assert 'name="two_factor_required"' in change_page.content.decode()

    client.post(
        reverse("admin:classrooms_organization_add"),
        {
            "name": "そら小学校",
            "code": "sora",
            "school_type": "elementary",
            "unit_price": "280",
            "two_factor_required": "on",
        },
    )

    assert Organization.objects.get(code="sora").two_factor_required
