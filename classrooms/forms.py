from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from classrooms.models import TIME_MULTIPLIERS, SchoolClass, User, login_id_validator


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Login id"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    error_messages = {
        "invalid_login": _(
            "The login id or password is not correct, or this account cannot sign in now. "
            "Check both and try again; if it keeps failing, ask your teacher or school."
        ),
        "inactive": _("This account is suspended."),
    }

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


class PersonForm(forms.Form):
    """Name and kana of a person; an optional login id (blank: one is generated)."""

    name = forms.CharField(label=_("Name"), max_length=100)
    kana = forms.CharField(label=_("Name in kana"), max_length=100, required=False)
    login_id = forms.CharField(
        label=_("Login id"),
        max_length=30,
        required=False,
        help_text=_("Leave blank to have one generated."),
    )

    def clean_login_id(self) -> str:
        login_id = self.cleaned_data["login_id"].strip().lower()
        if login_id:
            login_id_validator(login_id)  # after lowercasing: sign-in ignores case too
        if login_id and User.objects.filter(login_id=login_id).exists():
            raise forms.ValidationError(_("This login id is already taken."))
        return login_id


class ExamineeForm(PersonForm):
    number = forms.IntegerField(label=_("Number in class"), min_value=1, max_value=999, required=False)


class ExamineeEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kana = forms.CharField(label=_("Name in kana"), max_length=100, required=False)
    number = forms.IntegerField(label=_("Number in class"), min_value=1, max_value=999, required=False)
    time_multiplier = forms.TypedChoiceField(
        label=_("Time allowed in tests"),
        choices=[(str(value), label) for value, label in TIME_MULTIPLIERS],
        coerce=Decimal,
        help_text=_("A standing accommodation: the pupil's time limit in every test is the test's times this."),
    )


class SchoolClassForm(forms.Form):
    name = forms.CharField(label=_("Class name"), max_length=50, help_text=_("For example 5年1組."))
    school_year = forms.IntegerField(label=_("School year"), min_value=2000, max_value=2100)


class ClassRenameForm(forms.Form):
    name = forms.CharField(label=_("Class name"), max_length=50)


class EnrollForm(forms.Form):
    examinee = forms.ModelChoiceField(label=_("Examinee"), queryset=User.objects.none())
    number = forms.IntegerField(label=_("Number in class"), min_value=1, max_value=999, required=False)

    def __init__(self, *args, school_class: SchoolClass, **kwargs):
        from classrooms.access import examinees_enrollable

        super().__init__(*args, **kwargs)
        self.fields["examinee"].queryset = examinees_enrollable(school_class)
        self.fields["examinee"].label_from_instance = lambda user: f"{user.name} ({user.login_id})"


class ExamineeSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or login id"), max_length=100, required=False)

    def clean_q(self) -> str:
        return self.cleaned_data["q"].strip()


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8 (with or without BOM) or Shift_JIS as saved by Excel. At most 1 MB."),
    )

    MAX_BYTES = 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        return upload


class TransferOutForm(forms.Form):
    """The date an examinee leaves the organization (their last day is the day before) and why."""

    effective_on = forms.DateField(
        label=pgettext_lazy("an examinee leaving", "Leaving date"),  # 転出日, not a teacher's 異動発令日
        help_text=_("From this day on the school no longer sees the examinee."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class TeacherTransferForm(forms.Form):
    """A teacher leaves: the date, why, and a successor for each of their classes of this school year."""

    effective_on = forms.DateField(
        label=_("Effective date"),
        help_text=_("From this day on the teacher cannot act in the school and the classes belong to the successors."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, classes, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.classes = list(classes)
        for school_class in self.classes:
            self.fields[f"successor_{school_class.pk}"] = forms.ModelChoiceField(
                label=_("Successor for %(class_name)s") % {"class_name": school_class.name},
                queryset=colleagues,
            )

    def successor_fields(self):
        return [self[f"successor_{school_class.pk}"] for school_class in self.classes]

    def successors(self) -> dict:
        return {school_class: self.cleaned_data[f"successor_{school_class.pk}"] for school_class in self.classes}


class ArrivalForm(forms.Form):
    """Someone who already has an account (from another school) joins this one: same account, new membership.

    Subclasses add `login_id` with the words for who arrives.
    """

    field_order = ["login_id", "effective_on", "reason"]
    effective_on = forms.DateField(
        label=_("Effective date"),
        help_text=_("The first day at your school."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class TransferInForm(ArrivalForm):
    """An examinee who already has an account joins the school: login id and transfer code from the transfer notice."""

    field_order = ["login_id", "code", "effective_on", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["effective_on"].label = pgettext_lazy("an examinee arriving", "Arrival date")  # 転入日

    login_id = forms.CharField(
        label=_("Login id of the examinee"),
        max_length=30,
        help_text=_("The login id on the transfer notice from their previous school."),
    )
    code = forms.CharField(
        label=_("Transfer code"),
        max_length=40,
        help_text=_("The 12 letters and digits on the transfer notice, e.g. ABCD-EFGH-JKLM."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )


class TeacherArrivalForm(ArrivalForm):
    """A teacher who already has an account joins the school."""

    login_id = forms.CharField(
        label=_("Login id of the teacher"),
        max_length=30,
        help_text=_("The login id they used at their previous school. They keep their account."),
    )


class HistoryConsentForm(forms.Form):
    consent = forms.TypedChoiceField(
        label=_("May your new school see your past test history?"),
        choices=[("yes", _("Yes, it may see my past history")), ("no", _("No, only what happens from now on"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )


class TwoFactorCodeForm(forms.Form):
    """The six-digit code of an authenticator app, or one recovery code (docs/design.md §1)."""

    code = forms.CharField(
        label=_("6-digit code or recovery code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
    )
