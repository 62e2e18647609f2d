from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from classrooms.forms import LoginForm
from classrooms.login_cards import LOGIN_ID_PARAMETER
from classrooms.password_rules import password_rules
from classrooms.services import password_set
from config.ratelimits import rate_limit
from sockets.publish import close_user_sockets


class KantokuLoginView(LoginView):
    """Sign-in; `?id=<login_id>` (a login card's QR code) fills in the login id, never the password."""

    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_initial(self):
        initial = super().get_initial()
        login_id = self.request.GET.get(LOGIN_ID_PARAMETER, "").strip().lower()[:30]
        if login_id:
            initial["username"] = login_id
        return initial

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if form.initial.get("username") and not form.is_bound:
            # The id came from the card: the cursor waits in the password box.
            form.fields["username"].widget.attrs.pop("autofocus", None)
            form.fields["password"].widget.attrs["autofocus"] = True
        return form


login_view = KantokuLoginView.as_view()

HOME_BY_ROLE = {
    "teacher": "classrooms:teacher_class_list",
    "org_admin": "classrooms:orgadmin_teacher_list",
    "examinee": "classrooms:examinee_home",
    "operator": "admin:index",
}


@login_required
def home(request):
    return redirect(HOME_BY_ROLE[request.user.role])


@require_POST
def logout_view(request):
    user_id = request.user.pk if request.user.is_authenticated else None
    logout(request)  # first: a socket told to close must not reconnect on the session still alive
    if user_id is not None:
        close_user_sockets(user_id)
    messages.info(request, _("You have signed out."))
    return redirect("classrooms:login")


def _change_password(request, form_class, template: str):
    form = form_class(request.user, request.POST or None)
    form.fields["new_password1"].help_text = ""  # the rules are shown once, in short sentences, above the form
    if request.method == "POST" and form.is_valid():
        password_set(user=request.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your new password is saved."))
        return redirect("classrooms:home")
    return render(request, template, {"form": form, "rules": password_rules()})


@login_required
@rate_limit("password")
def password_change_required(request):
    """First sign-in with an issued password: choose your own before anything else."""
    if not request.user.must_change_password:
        return redirect("classrooms:home")
    return _change_password(request, SetPasswordForm, "registration/password_change_required.html")


@login_required
@rate_limit("password")
def password_change(request):
    return _change_password(request, PasswordChangeForm, "registration/password_change.html")
