"""Login cards (ログインカード): 8 to an A4 sheet, a QR code with the sign-in address and login id,
and never a password in any URL (docs/design.md §2).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import segno
from django.test import RequestFactory
from django.urls import reverse

from classrooms.login_cards import login_url, qr_svg

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def issue_two(client_of, teacher, school_class):
    return client_of(teacher).post(
        reverse("classrooms:teacher_examinee_add", args=[school_class.pk]),
        {"name": "山田 花子", "login_id": "yamada-hanako", "number": 7},
        headers={"accept-language": "ja"},
    )


def test_the_qr_payload_is_the_sign_in_address_with_the_login_id_only(settings):
    settings.ALLOWED_HOSTS = ["school.example"]
    request = RequestFactory().get("/", HTTP_HOST="school.example:8000")
    payload = login_url(request, "yamada-hanako")
    assert payload == "http://school.example:8000/login/?id=yamada-hanako"
    # The code holds exactly that text: segno encodes it in one byte-mode segment of its length.
    code = segno.make(payload, error="m")
    assert code.mode == "byte"
    assert code.matrix == segno.make("http://school.example:8000/login/?id=yamada-hanako", error="m").matrix
    assert code.matrix != segno.make("http://school.example:8000/login/?id=yamada-hanak0", error="m").matrix


def test_each_card_shows_the_qr_code_of_its_own_sign_in_address(client_of, teacher, school_class):
    response = issue_two(client_of, teacher, school_class)
    page = response.content.decode()
    expected = qr_svg("http://testserver/login/?id=yamada-hanako")
    assert expected in page
    assert "<svg" in expected
    assert "http://testserver/login/?id=yamada-hanako" in page


def test_no_password_in_any_url_of_the_card_page(client_of, teacher, school_class):
    response = issue_two(client_of, teacher, school_class)
    password = response.context["credentials"][0].password
    page = response.content.decode()
    assert password in page  # printed on the card...
    urls = re.findall(r"""(?:href|src|action)=["']([^"']*)["']""", page) + re.findall(r"https?://[^\s<\"']+", page)
    assert urls
    assert not [url for url in urls if password in url]  # ...but in no address
    assert "password=" not in page


def test_the_cards_are_called_login_cards_in_japanese(client_of, teacher, school_class):
    page = issue_two(client_of, teacher, school_class).content.decode()
    assert "ログインカード" in page
    assert "通知票" not in page
    po = (ROOT / "locale" / "ja" / "LC_MESSAGES" / "django.po").read_text()
    assert "通知票" not in po


def test_the_print_css_puts_8_cards_on_an_a4_sheet_inside_dashed_cut_lines():
    css = (ROOT / "static" / "css" / "kantoku.css").read_text()
    assert re.search(r"@page\s*{\s*size:\s*A4", css)
    card = re.search(r"\.slip\.login-card\s*{([^}]*)}", css).group(1)
    assert "width: 50%" in card  # 2 across
    height = float(re.search(r"height:\s*([\d.]+)mm", card).group(1))
    assert 4 * height <= 297 - 2 * 10  # 4 down, inside the page's margins
    assert "dashed" in card
    assert re.search(r"\.login-card dt\s*{[^}]*white-space:\s*nowrap", css)


def test_the_sign_in_page_fills_in_the_login_id_from_the_card(client):
    response = client.get(reverse("classrooms:login"), {"id": "Yamada-Hanako"})
    page = response.content.decode()
    assert re.search(r'<input[^>]*name="username"[^>]*value="yamada-hanako"', page)
    assert re.search(r'<input[^>]*name="password"[^>]*autofocus', page)


def test_the_sign_in_page_never_takes_a_password_from_the_url(client):
    response = client.get(reverse("classrooms:login"), {"id": "yamada-hanako", "password": "secret123"})
    password_box = re.search(r'<input[^>]*name="password"[^>]*>', response.content.decode()).group(0)
    assert "value=" not in password_box


def test_without_an_id_the_login_id_box_has_the_focus(client):
    page = client.get(reverse("classrooms:login")).content.decode()
    assert re.search(r'<input[^>]*name="username"[^>]*autofocus', page)


def test_no_template_calls_them_slips_any_more():
    words = [
        (path.name, text)
        for path in (ROOT / "templates").rglob("*.html")
        for text in re.findall(
            r"{% translate \"([^\"]*)\"|{% blocktranslate[^%]*%}(.*?){% endblocktranslate", path.read_text()
        )
        if re.search(r"\bslips?\b", "".join(text))
    ]
    assert words == []
