"""Login cards (ログインカード): what each printed card's QR code holds, and the code itself.

A card carries the sign-in page's address with the login id filled in (`/login/?id=<login_id>`),
so a pupil scans it with the class tablet and types only the password printed beside it. The
password never goes into the code or any URL: a photo of the code gives nothing away, and
addresses end up in browser histories and server logs (docs/design.md §1, §2).
"""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from django.shortcuts import render
from django.urls import reverse

LOGIN_ID_PARAMETER = "id"


def login_path(login_id: str) -> str:
    return f"{reverse('classrooms:login')}?{urlencode({LOGIN_ID_PARAMETER: login_id})}"


def login_url(request, login_id: str) -> str:
    """The payload of a card's QR code: the absolute sign-in address with the login id, nothing else."""
    return request.build_absolute_uri(login_path(login_id))


def cards_page(request, credentials: list, *, organization, back_url: str, title: str):
    """The printable login cards of new accounts or new passwords: the only place the passwords are shown."""
    context = {"credentials": credentials, "organization": organization, "back_url": back_url, "title": title}
    return render(request, "classrooms/slips.html", context)


def qr_svg(payload: str, *, title: str = "") -> str:
    """The QR code as an inline SVG element (no size: the card's CSS sizes it), made on the server."""
    return segno.make(payload, error="m").svg_inline(scale=1, border=2, omitsize=True, title=title or None)
