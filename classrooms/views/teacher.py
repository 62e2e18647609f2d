"""Teacher screens: my classes by school year, and each class's roster."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classrooms import services
from classrooms.access import (
    get_class_for_teacher,
    get_enrollment_for_teacher,
    organization_of,
    role_required,
    roster_of,
    with_roster_counts,
)
from classrooms.forms import (
    ClassRenameForm,
    EnrollForm,
    ExamineeEditForm,
    ExamineeForm,
    SchoolClassForm,
)
from classrooms.login_cards import cards_page
from classrooms.models import SchoolClass, User
from classrooms.schoolyear import current_school_year, parse_school_year
from config.errors import ServiceError
from config.ratelimits import rate_limit

teacher_required = role_required(User.Role.TEACHER)


@teacher_required
@require_GET
def class_list(request):
    organization = organization_of(request.user)
    year = parse_school_year(request.GET.get("year"))
    mine = SchoolClass.objects.filter(organization=organization, teacher=request.user)
    years = sorted(set(mine.values_list("school_year", flat=True)) | {current_school_year()}, reverse=True)
    classes = with_roster_counts(mine.filter(school_year=year)).order_by("name")
    form = SchoolClassForm(initial={"school_year": current_school_year()})
    return render(
        request, "classrooms/teacher/class_list.html", {"classes": classes, "year": year, "years": years, "form": form}
    )


@teacher_required
@require_http_methods(["GET", "POST"])
def class_create(request):
    form = SchoolClassForm(request.POST or None, initial={"school_year": current_school_year()})
    if request.method == "POST" and form.is_valid():
        try:
            school_class = services.class_create(
                organization=organization_of(request.user), teacher=request.user, by=request.user, **form.cleaned_data
            )
        except ServiceError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, _("Class %(name)s created.") % {"name": school_class.name})
            return redirect("classrooms:teacher_roster", class_id=school_class.pk)
    return render(request, "classrooms/teacher/class_create.html", {"form": form})


@teacher_required
@require_GET
def roster(request, class_id: int):
    school_class = get_class_for_teacher(request.user, class_id)
    return render(
        request,
        "classrooms/teacher/roster.html",
        {
            "school_class": school_class,
            "enrollments": roster_of(school_class),
            "add_form": ExamineeForm(),
            "enroll_form": EnrollForm(school_class=school_class),
            "capacity": SchoolClass.CAPACITY,
        },
    )


@teacher_required
@require_http_methods(["GET", "POST"])
def class_rename(request, class_id: int):
    school_class = get_class_for_teacher(request.user, class_id)
    form = ClassRenameForm(request.POST or None, initial={"name": school_class.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.class_rename(school_class=school_class, name=form.cleaned_data["name"], by=request.user)
        except ServiceError as error:
            form.add_error("name", str(error))
        else:
            if request.htmx:
                return render(request, "classrooms/teacher/partials/class_heading.html", {"school_class": school_class})
            return redirect("classrooms:teacher_roster", class_id=school_class.pk)
    template = (
        "classrooms/teacher/partials/class_rename_form.html" if request.htmx else "classrooms/teacher/class_rename.html"
    )
    return render(request, template, {"school_class": school_class, "form": form})


def slips_page(request, school_class: SchoolClass, credentials: list[services.IssuedCredential], title: str):
    """The login cards of new accounts or passwords of the class, back to its roster."""
    back_url = reverse("classrooms:teacher_roster", args=[school_class.pk])
    return cards_page(request, credentials, organization=school_class.organization, back_url=back_url, title=title)


@teacher_required
@require_http_methods(["GET", "POST"])
def examinee_add(request, class_id: int):
    """Issue one examinee account in this class; its slip is shown once."""
    school_class = get_class_for_teacher(request.user, class_id)
    form = ExamineeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        row = services.RosterRow(**form.cleaned_data)
        try:
            credentials = services.examinees_issue(school_class=school_class, rows=[row], by=request.user)
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            return slips_page(request, school_class, credentials, _("New examinee account"))
    return render(request, "classrooms/teacher/examinee_add.html", {"school_class": school_class, "form": form})


@teacher_required
@require_POST
def enroll_existing(request, class_id: int):
    """Enroll an examinee who already has an account in this organization."""
    school_class = get_class_for_teacher(request.user, class_id)
    form = EnrollForm(request.POST, school_class=school_class)
    if form.is_valid():
        try:
            services.enrollment_create(school_class=school_class, by=request.user, **form.cleaned_data)
        except ServiceError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("%(name)s joined the class.") % {"name": form.cleaned_data["examinee"].name})
    else:
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
    return redirect("classrooms:teacher_roster", class_id=school_class.pk)


@teacher_required
@require_http_methods(["GET", "POST"])
def examinee_edit(request, class_id: int, enrollment_id: int):
    enrollment = get_enrollment_for_teacher(request.user, class_id, enrollment_id)
    initial = {
        "name": enrollment.examinee.name,
        "kana": enrollment.examinee.kana,
        "number": enrollment.number,
        "time_multiplier": str(enrollment.time_multiplier),
    }
    form = ExamineeEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.examinee_update(enrollment=enrollment, by=request.user, **form.cleaned_data)
        if request.htmx:
            return render(request, "classrooms/teacher/partials/roster_row.html", {"enrollment": enrollment})
        messages.success(request, _("Saved."))
        return redirect("classrooms:teacher_roster", class_id=class_id)
    template = (
        "classrooms/teacher/partials/roster_row_form.html" if request.htmx else "classrooms/teacher/examinee_edit.html"
    )
    return render(request, template, {"enrollment": enrollment, "form": form})


@teacher_required
@require_POST
def enrollment_end(request, class_id: int, enrollment_id: int):
    enrollment = get_enrollment_for_teacher(request.user, class_id, enrollment_id)
    services.enrollment_end(enrollment=enrollment, by=request.user)
    message = _("%(name)s left the class. Their account and history are kept.") % {"name": enrollment.examinee.name}
    if request.htmx:
        return render(request, "classrooms/teacher/partials/roster_row_removed.html", {"message": message})
    messages.success(request, message)
    return redirect("classrooms:teacher_roster", class_id=class_id)


@teacher_required
@require_POST
@rate_limit("password")
def password_reissue(request, class_id: int, enrollment_id: int):
    enrollment = get_enrollment_for_teacher(request.user, class_id, enrollment_id)
    credential = services.password_reissue(user=enrollment.examinee, by=request.user)
    credential = services.IssuedCredential(
        user=credential.user,
        password=credential.password,
        number=enrollment.number,
        class_name=enrollment.school_class.name,
    )
    return slips_page(request, enrollment.school_class, [credential], _("New initial password"))
