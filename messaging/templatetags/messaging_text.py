"""Template filters for bodies: the same functions the websocket uses (messaging/sanitize.py)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from messaging.sanitize import message_html, sanitize_notice_html

register = template.Library()


@register.filter
def message_body(text: str) -> SafeString:
    """A plain-text message: escaped, http(s) links clickable."""
    return message_html(text)


@register.filter
def notice_body(text: str) -> SafeString:
    """A notice: the allowed formatting only, cleaned by nh3."""
    return mark_safe(sanitize_notice_html(text))  # noqa: S308 - sanitized by nh3 just now
