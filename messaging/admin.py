"""Messaging in the operators' console: metadata only.

No admin here has a field, column, filter, search or action that touches a
body: `body_encrypted` is left out everywhere, and nothing decrypts. The
one way to read a message is the audited break-glass page
(messaging.views.operator_break_glass), linked from a message's page.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from config.console import ReadOnlyAdmin
from messaging.models import BreakGlassAccess, Message, Notice, NoticeReceipt, Thread


@admin.register(Thread)
class ThreadAdmin(ReadOnlyAdmin):
    list_display = ["id", "organization", "teacher", "examinee", "created_at", "last_message_at"]
    list_filter = ["organization"]
    fields = ["organization", "teacher", "examinee", "created_at", "last_message_at"]
    date_hierarchy = "last_message_at"


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "organization", "sender", "recipient", "sent_at", "delivered_at", "read_at", "size_bytes"]
    list_filter = ["thread__organization", "sent_at"]
    list_select_related = ["thread__organization", "sender", "recipient"]
    fields = ["thread", "sender", "recipient", "sent_at", "delivered_at", "read_at", "size_bytes", "break_glass"]
    readonly_fields = ["break_glass"]
    exclude = ["body_encrypted"]
    date_hierarchy = "sent_at"
    change_list_template = "admin/messaging/change_list.html"

    @admin.display(description=_("organization"), ordering="thread__organization__name")
    def organization(self, message: Message):
        return message.thread.organization

    @admin.display(description=_("content"))
    def break_glass(self, message: Message):
        url = reverse("messaging:operator_break_glass") + f"?message={message.pk}"
        return format_html(
            '<a href="{}">{}</a>', url, _("Not shown. Break-glass access (reason and reference required, audited)")
        )


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["id", "organization", "school_class", "sender", "sent_at", "size_bytes"]
    list_filter = ["organization", "sent_at"]
    fields = ["organization", "school_class", "sender", "sent_at", "size_bytes"]
    exclude = ["body_encrypted"]
    date_hierarchy = "sent_at"
    change_list_template = "admin/messaging/change_list.html"


@admin.register(NoticeReceipt)
class NoticeReceiptAdmin(ReadOnlyAdmin):
    list_display = ["id", "notice", "recipient", "delivered_at", "read_at"]
    list_select_related = ["notice", "recipient"]
    fields = ["notice", "recipient", "delivered_at", "read_at"]


@admin.register(BreakGlassAccess)
class BreakGlassAccessAdmin(ReadOnlyAdmin):
    list_display = ["at", "operator", "message", "reason", "reference"]
    list_filter = ["reason"]
    fields = ["at", "operator", "message", "reason", "reference"]
    change_list_template = "admin/messaging/change_list.html"
