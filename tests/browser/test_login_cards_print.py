"""Login cards printed by Chromium: 8 to an A4 sheet, labels on one line (templates/classrooms/slips.html)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation
from playwright.sync_api import sync_playwright

from classrooms.models import SchoolClass, User
from classrooms.services import RosterRow, examinees_issue
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "http://testserver"


def card_page(teacher: User, school_class: SchoolClass, pupils: int) -> str:
    """The login-card page right after `pupils` accounts are issued, as the teacher's browser gets it."""
    rows = [
        RosterRow(name=f"児童 {number:02}", kana="じどう", number=number, login_id="")
        for number in range(1, pupils + 1)
    ]
    credentials = examinees_issue(school_class=school_class, rows=rows, by=teacher)
    request = RequestFactory().get("/", headers={"accept-language": "ja"})
    request.user = teacher
    with translation.override("ja"):
        return render_to_string(
            "classrooms/slips.html",
            {
                "credentials": credentials,
                "organization": school_class.organization,
                "back_url": "/",
                "title": "ログインカード",
            },
            request=request,
        )


def pdf_pages(html: str) -> tuple[int, list[float]]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()

        def serve(route):
            path = route.request.url.removeprefix(ORIGIN)
            if path.startswith("/static/") and os.path.isfile(ROOT / path.lstrip("/")):
                route.fulfill(path=str(ROOT / path.lstrip("/")))
            elif path == "/cards":
                route.fulfill(body=html, content_type="text/html; charset=utf-8")
            else:
                route.fulfill(status=404, body="")

        page.route(f"{ORIGIN}/**", serve)
        page.goto(f"{ORIGIN}/cards")
        page.emulate_media(media="print")
        label_heights = page.eval_on_selector_all(
            ".login-card dt", "dts => dts.map(dt => dt.getBoundingClientRect().height)"
        )
        pdf = page.pdf(format="A4", prefer_css_page_size=True)
        browser.close()
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf)), label_heights


def test_8_cards_fill_one_a4_sheet_and_9_need_a_second(teacher, school_class):
    html = card_page(teacher, school_class, 9)
    cards = re.findall(r'<section class="slip login-card".*?</section>', html, flags=re.S)
    assert len(cards) == 9
    eight = html.replace(cards[-1], "")  # the same page without its ninth card
    pages_of_eight, heights = pdf_pages(eight)
    pages_of_nine, _heights = pdf_pages(html)
    assert pages_of_eight == 1
    assert pages_of_nine == 2
    # Each label is one line: no label as tall as two lines of its text.
    assert heights
    assert max(heights) < 2 * min(heights)
