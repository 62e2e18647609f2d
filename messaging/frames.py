"""Frames a client may send on /ws/inbox/ (docs/protocol.md), validated by forms like any other input."""

from __future__ import annotations

from django import forms


class OneOfForm(forms.Form):
    """Exactly one of the fields is given."""

    def clean(self):
        data = super().clean()
        given = [name for name in self.fields if data.get(name) is not None]
        if len(given) != 1:
            raise forms.ValidationError("Give exactly one of: " + ", ".join(self.fields))
        return data


class DeliveredFrame(OneOfForm):
    """A `message` (by `id`) or a `notice` reached this socket."""

    id = forms.IntegerField(min_value=1, required=False)
    notice = forms.IntegerField(min_value=1, required=False)


class ReadFrame(OneOfForm):
    """The user read a conversation (every message to them in it) or a notice."""

    thread = forms.IntegerField(min_value=1, required=False)
    notice = forms.IntegerField(min_value=1, required=False)


INBOX_FRAMES: dict[str, type[forms.Form] | None] = {"delivered": DeliveredFrame, "read": ReadFrame, "unread": None}
