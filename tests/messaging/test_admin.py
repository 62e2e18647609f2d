"""The operator console shows messaging metadata, read-only, and never a body."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from messaging.models import BreakGlassAccess, Message, Notice, NoticeReceipt, Thread
from messaging.services import message_send

pytestmark = pytest.mark.django_db

MODELS = [Thread, Message, Notice, NoticeReceipt, BreakGlassAccess]


@pytest.mark.parametrize("model", MODELS)
def test_no_admin_field_list_or_search_touches_a_body(rf, operator, model):
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = operator
    shown = [
        *model_admin.get_fields(request),
        *model_admin.get_list_display(request),
        *model_admin.get_search_fields(request),
        *[str(item) for item in model_admin.get_list_filter(request)],
    ]
    assert not [name for name in shown if "body" in name]


@pytest.mark.parametrize("model", MODELS)
def test_messaging_is_read_only_in_the_console(rf, operator, model):
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = operator
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_a_messages_page_links_to_break_glass_instead_of_the_content(client_of, operator, teacher, examinee):
    message = message_send(by=teacher, recipient=examinee, body="見せない本文")

    page = client_of(operator).get(reverse("admin:messaging_message_change", args=[message.pk])).content.decode()

    assert "見せない本文" not in page
    assert reverse("messaging:operator_break_glass") + f"?message={message.pk}" in page
    assert str(message.size_bytes) in page


@pytest.mark.parametrize("persona", ["org_admin", "teacher", "examinee"])
def test_the_console_is_for_operators_only(client_of, request, persona):
    response = client_of(request.getfixturevalue(persona)).get(reverse("admin:messaging_message_changelist"))
    assert response.status_code == 302
