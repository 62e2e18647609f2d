from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from classrooms.models import User
from config.errors import ServiceError
from messaging.models import MAX_MESSAGE_LENGTH, MAX_NOTICE_LENGTH, BreakGlassAccess
from messaging.services import checked_body


class BodyField(forms.CharField):
    """Text with a length limit whose error says how long it is (services.checked_body)."""

    def __init__(self, *, limit: int, rows: int, **kwargs):
        self.limit = limit
        super().__init__(
            strip=False,
            widget=forms.Textarea(attrs={"rows": rows, "maxlength": limit}),
            error_messages={"required": gettext_lazy("Write something first.")},
            **kwargs,
        )

    def clean(self, value):
        value = super().clean(value)
        try:
            return checked_body(value, limit=self.limit)
        except ServiceError as error:
            raise forms.ValidationError(str(error), code=error.code) from None


class MessageForm(forms.Form):
    body = BodyField(label=gettext_lazy("Message"), limit=MAX_MESSAGE_LENGTH, rows=4)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = _(
            "Plain text, up to %(limit)d characters. Links starting with http:// or https:// become clickable."
        ) % {"limit": MAX_MESSAGE_LENGTH}


class NewMessageForm(MessageForm):
    recipient = forms.ModelChoiceField(
        label=gettext_lazy("To"),
        queryset=User.objects.none(),
        empty_label=gettext_lazy("Choose…"),
        error_messages={"invalid_choice": gettext_lazy("You cannot write to this person.")},
    )

    field_order = ["recipient", "body"]

    def __init__(self, *args, correspondents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = correspondents
        self.fields["recipient"].label_from_instance = lambda person: person.name


class NoticeForm(forms.Form):
    body = BodyField(label=gettext_lazy("Notice"), limit=MAX_NOTICE_LENGTH, rows=10)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = _(
            "Up to %(limit)d characters. Line breaks are kept. You may use <b>bold</b>, <i>italic</i>, "
            'lists (<ul><li>…</li></ul>), paragraphs (<p>…</p>) and links (<a href="https://…">…</a>); '
            "anything else is removed."
        ) % {"limit": MAX_NOTICE_LENGTH}


class BreakGlassForm(forms.Form):
    message = forms.IntegerField(label=gettext_lazy("Message number"), min_value=1)
    reason = forms.ChoiceField(
        label=gettext_lazy("Reason"),
        choices=[("", gettext_lazy("Choose…")), *BreakGlassAccess.Reason.choices],
        error_messages={"required": gettext_lazy("Choose why you need to read this message.")},
    )
    reference = forms.CharField(
        label=gettext_lazy("Reference"),
        max_length=100,
        help_text=gettext_lazy("The number of the support inquiry or incident report."),
        error_messages={"required": gettext_lazy("Give the reference of the inquiry or incident.")},
    )
