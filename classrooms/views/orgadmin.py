"""Org admin screens: the organization's teachers, its classes, and its audit log (docs/design.md §1, §7)."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classrooms import services
from classrooms.access import (
    get_class_for_org_admin,
    get_member_for_org_admin,
    members_of,
    organization_of,
    role_required,
    roster_of,
    with_roster_counts,
)
from classrooms.audit_chain import verify_and_remember
from classrooms.audit_log import audit_rows
from classrooms.forms import ExamineeSearchForm, PersonForm
from classrooms.login_cards import cards_page
from classrooms.models import AuditEntry, Enrollment, Membership, Organization, SchoolClass, User
from classrooms.schoolyear import current_school_year, parse_school_year, today
from config.errors import ServiceError
from config.ratelimits import rate_limit

org_admin_required = role_required(User.Role.ORG_ADMIN)

AUDIT_PAGE_SIZE = 50
EXAMINEE_PAGE_SIZE = 50


def _teachers(organization: Organization):
    """Teachers whose membership is active today, each with `current_classes` of this school year."""
    classes = SchoolClass.objects.filter(organization=organization, school_year=current_school_year())
    return (
        members_of(organization, User.Role.TEACHER)
        .order_by("kana", "name", "login_id")
        .prefetch_related(Prefetch("classes_taught", queryset=classes.order_by("name"), to_attr="current_classes"))
    )


@org_admin_required
@require_GET
def teacher_list(request):
    organization = organization_of(request.user)
    context = {
        "organization": organization,
        "teachers": _teachers(organization),
        "org_admins": members_of(organization, User.Role.ORG_ADMIN).order_by("kana", "name", "login_id"),
        "year": current_school_year(),
    }
    return render(request, "classrooms/orgadmin/teacher_list.html", context)


def _slip(request, credential: services.IssuedCredential, title: str, back: str = "classrooms:orgadmin_teacher_list"):
    organization = organization_of(request.user)
    return cards_page(request, [credential], organization=organization, back_url=reverse(back), title=title)


@org_admin_required
@never_cache
@require_http_methods(["GET", "POST"])
def teacher_issue(request):
    """Issue a teacher account; its initial password is shown once, on a printable slip."""
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            credential = services.member_issue(
                organization=organization_of(request.user), role=User.Role.TEACHER, by=request.user, **form.cleaned_data
            )
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The account of %(name)s is issued.") % {"name": credential.user.name})
            return _slip(request, credential, _("New teacher account"))
    return render(request, "classrooms/orgadmin/teacher_issue.html", {"form": form})


def _member_set_active(request, member_id: int, *, role: str, active: bool) -> User:
    # One service for both: suspension ends every session and socket of the person at once (§1, §10.3).
    member = get_member_for_org_admin(request.user, member_id, role)
    services.user_set_active(user=member, active=active, by=request.user)
    return member


def _teacher_set_active(request, teacher_id: int, *, active: bool):
    teacher = _member_set_active(request, teacher_id, role=User.Role.TEACHER, active=active)
    if request.htmx:
        teacher = _teachers(organization_of(request.user)).get(pk=teacher.pk)
        return render(request, "classrooms/orgadmin/partials/teacher_row.html", {"teacher": teacher})
    _say_set_active(request, teacher, active=active)
    return redirect("classrooms:orgadmin_teacher_list")


def _say_set_active(request, person: User, *, active: bool) -> None:
    if active:
        messages.success(request, _("%(name)s can sign in again.") % {"name": person.name})
    else:
        messages.success(request, _("%(name)s is suspended and signed out everywhere.") % {"name": person.name})


@org_admin_required
@require_POST
def teacher_suspend(request, teacher_id: int):
    return _teacher_set_active(request, teacher_id, active=False)


@org_admin_required
@require_POST
def teacher_reactivate(request, teacher_id: int):
    return _teacher_set_active(request, teacher_id, active=True)


@org_admin_required
@never_cache
@require_POST
@rate_limit("password")
def teacher_password_reissue(request, teacher_id: int):
    return _password_reissue(request, teacher_id, role=User.Role.TEACHER, back="classrooms:orgadmin_teacher_list")


def _password_reissue(request, member_id: int, *, role: str, back: str):
    member = get_member_for_org_admin(request.user, member_id, role)
    credential = services.password_reissue(user=member, by=request.user)
    return _slip(request, credential, _("New initial password"), back=back)


@org_admin_required
@require_GET
def examinee_list(request):
    """Examinees who are members today, searchable by name, kana or login id, a page at a time (§1)."""
    form = ExamineeSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    organization = organization_of(request.user)
    # Each pupil's classes today, of this organization only (an enrollment elsewhere is not its business).
    enrollments = (
        Enrollment.objects.active_on(today())
        .filter(school_class__organization=organization)
        .select_related("school_class")
        .order_by("school_class__school_year", "school_class__name")
    )
    examinees = (
        members_of(organization, User.Role.EXAMINEE)
        .order_by("kana", "name", "login_id")
        .prefetch_related(Prefetch("enrollments", queryset=enrollments, to_attr="current_enrollments"))
    )
    if query:
        examinees = examinees.filter(Q(name__icontains=query) | Q(kana__icontains=query) | Q(login_id__icontains=query))
    page = Paginator(examinees, EXAMINEE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "query": query, "filter_query": urlencode({"q": query}) if query else ""}
    return render(request, "classrooms/orgadmin/examinee_list.html", context)


def _back_to_examinees(request):
    """The examinee list as the org admin left it (search and page travel in the form's hidden fields)."""
    keep = {key: request.POST[key] for key in ("q", "page") if request.POST.get(key)}
    url = reverse("classrooms:orgadmin_examinee_list")
    return redirect(f"{url}?{urlencode(keep)}" if keep else url)


def _examinee_set_active(request, examinee_id: int, *, active: bool):
    examinee = _member_set_active(request, examinee_id, role=User.Role.EXAMINEE, active=active)
    _say_set_active(request, examinee, active=active)
    return _back_to_examinees(request)


@org_admin_required
@require_POST
def examinee_suspend(request, examinee_id: int):
    return _examinee_set_active(request, examinee_id, active=False)


@org_admin_required
@require_POST
def examinee_reactivate(request, examinee_id: int):
    return _examinee_set_active(request, examinee_id, active=True)


@org_admin_required
@never_cache
@require_POST
@rate_limit("password")
def examinee_password_reissue(request, examinee_id: int):
    return _password_reissue(request, examinee_id, role=User.Role.EXAMINEE, back="classrooms:orgadmin_examinee_list")


@org_admin_required
@require_GET
def class_list(request):
    """All classes of the organization in one school year, with their teacher and roster size."""
    organization = organization_of(request.user)
    year = parse_school_year(request.GET.get("year"))
    all_classes = SchoolClass.objects.filter(organization=organization)
    years = set(all_classes.order_by().values_list("school_year", flat=True).distinct())
    # A teacher who has left the organization is not named on its screens (docs/design.md §7).
    teacher_is_member = Exists(
        Membership.objects.active_on(today()).filter(organization=organization, user_id=OuterRef("teacher_id"))
    )
    classes = (
        with_roster_counts(all_classes.filter(school_year=year))
        .annotate(teacher_is_member=teacher_is_member)
        .select_related("teacher")
        .order_by("name")
    )
    context = {"classes": classes, "year": year, "years": sorted(years | {current_school_year()}, reverse=True)}
    return render(request, "classrooms/orgadmin/class_list.html", context)


@org_admin_required
@require_GET
def class_detail(request, class_id: int):
    school_class = get_class_for_org_admin(request.user, class_id)
    teachers = members_of(school_class.organization, User.Role.TEACHER)
    context = {
        "school_class": school_class,
        "enrollments": roster_of(school_class),
        "teacher_is_member": teachers.filter(pk=school_class.teacher_id).exists(),
        "capacity": SchoolClass.CAPACITY,
        "sessions": school_class.sessions.select_related("exam").order_by("-created_at"),
    }
    return render(request, "classrooms/orgadmin/class_detail.html", context)


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)

    def __init__(self, *args, actions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labelled = sorted((code, AuditEntry.action_label(code)) for code in actions)
        self.fields["action"].choices = [("", _("All actions")), *labelled]


@org_admin_required
@require_GET
def audit_log(request):
    """The organization's audit entries, newest first, optionally of one action."""
    organization = organization_of(request.user)
    entries = AuditEntry.objects.filter(organization=organization).select_related("actor")
    actions = entries.order_by().values_list("action", flat=True).distinct()
    form = AuditFilterForm(request.GET or None, actions=list(actions))
    action = form.cleaned_data["action"] if form.is_valid() else ""
    if action:
        entries = entries.filter(action=action)
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": audit_rows(page.object_list, organization),
        "filter_query": urlencode({"action": action}) if action else "",
        # Only what was written since the last check is hashed again (docs/design.md §9).
        "chain": verify_and_remember(organization.pk, incremental=True),
    }
    return render(request, "classrooms/orgadmin/audit_log.html", context)
