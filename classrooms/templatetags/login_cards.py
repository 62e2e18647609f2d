"""{% login_qr login_id %}: a login card's QR code, inline SVG (classrooms/login_cards.py)."""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from classrooms import login_cards

register = template.Library()


@register.simple_tag(takes_context=True)
def login_qr(context, login_id: str, title: str = ""):
    # Safe: segno writes the SVG itself from module geometry; the payload is not copied into it, and
    # the title is escaped by segno (login ids are [a-z0-9._-] anyway).
    payload = login_cards.login_url(context["request"], login_id)
    return mark_safe(login_cards.qr_svg(payload, title=title))  # noqa: S308


@register.simple_tag(takes_context=True)
def login_url(context, login_id: str) -> str:
    return login_cards.login_url(context["request"], login_id)
