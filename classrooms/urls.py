from django.urls import path

from classrooms.views import accounts, examinee, orgadmin, roster_files, teacher, transfers, two_factor

app_name = "classrooms"

urlpatterns = [
    # Signing in and out, passwords
    path("", accounts.home, name="home"),
    path("login/", accounts.login_view, name="login"),
    path("logout/", accounts.logout_view, name="logout"),
    path("password/", accounts.password_change, name="password_change"),
    path("password/new/", accounts.password_change_required, name="password_change_required"),
    # Two-factor sign-in (docs/design.md §1)
    path("two-factor/", two_factor.verify, name="two_factor_verify"),
    path("two-factor/setup/", two_factor.setup, name="two_factor_setup"),
    path("account/two-factor/", two_factor.account, name="two_factor_account"),
    path("account/two-factor/recovery-codes/", two_factor.recovery_codes_renew, name="two_factor_recovery_codes"),
    path("account/two-factor/turn-off/", two_factor.disable, name="two_factor_disable"),
    # Teacher: classes and rosters
    path("teacher/classes/", teacher.class_list, name="teacher_class_list"),
    path("teacher/classes/new/", teacher.class_create, name="teacher_class_create"),
    path("teacher/classes/<int:class_id>/", teacher.roster, name="teacher_roster"),
    path("teacher/classes/<int:class_id>/rename/", teacher.class_rename, name="teacher_class_rename"),
    path("teacher/classes/<int:class_id>/examinees/new/", teacher.examinee_add, name="teacher_examinee_add"),
    path("teacher/classes/<int:class_id>/enroll/", teacher.enroll_existing, name="teacher_enroll_existing"),
    path("teacher/classes/<int:class_id>/import/", roster_files.roster_import, name="teacher_roster_import"),
    path("teacher/classes/<int:class_id>/export.csv", roster_files.roster_export, name="teacher_roster_export"),
    path("teacher/roster-template.csv", roster_files.roster_template, name="teacher_roster_template"),
    path(
        "teacher/classes/<int:class_id>/enrollments/<int:enrollment_id>/edit/",
        teacher.examinee_edit,
        name="teacher_examinee_edit",
    ),
    path(
        "teacher/classes/<int:class_id>/enrollments/<int:enrollment_id>/unenroll/",
        teacher.enrollment_end,
        name="teacher_enrollment_end",
    ),
    path(
        "teacher/classes/<int:class_id>/enrollments/<int:enrollment_id>/password/",
        teacher.password_reissue,
        name="teacher_password_reissue",
    ),
    path(
        "teacher/classes/<int:class_id>/enrollments/<int:enrollment_id>/transfer/",
        transfers.examinee_transfer_out,
        name="teacher_examinee_transfer_out",
    ),
    # Org admin
    path("org/teachers/", orgadmin.teacher_list, name="orgadmin_teacher_list"),
    path("org/teachers/new/", orgadmin.teacher_issue, name="orgadmin_teacher_issue"),
    path("org/teachers/<int:teacher_id>/suspend/", orgadmin.teacher_suspend, name="orgadmin_teacher_suspend"),
    path("org/teachers/<int:teacher_id>/reactivate/", orgadmin.teacher_reactivate, name="orgadmin_teacher_reactivate"),
    path(
        "org/teachers/<int:teacher_id>/password/", orgadmin.teacher_password_reissue, name="orgadmin_teacher_password"
    ),
    path("org/teachers/<int:teacher_id>/transfer/", transfers.teacher_transfer_out, name="orgadmin_teacher_transfer"),
    path("org/teachers/arrive/", transfers.teacher_arrival, name="orgadmin_teacher_arrival"),
    path("org/examinees/", orgadmin.examinee_list, name="orgadmin_examinee_list"),
    path("org/examinees/<int:examinee_id>/suspend/", orgadmin.examinee_suspend, name="orgadmin_examinee_suspend"),
    path(
        "org/examinees/<int:examinee_id>/reactivate/", orgadmin.examinee_reactivate, name="orgadmin_examinee_reactivate"
    ),
    path(
        "org/examinees/<int:examinee_id>/password/",
        orgadmin.examinee_password_reissue,
        name="orgadmin_examinee_password",
    ),
    path("org/classes/", orgadmin.class_list, name="orgadmin_class_list"),
    path("org/classes/<int:class_id>/", orgadmin.class_detail, name="orgadmin_class_detail"),
    path("org/audit/", orgadmin.audit_log, name="orgadmin_audit_log"),
    path("org/transfers/", transfers.transfer_list, name="orgadmin_transfer_list"),
    path("org/transfers/<int:transfer_id>/approve/", transfers.transfer_approve, name="orgadmin_transfer_approve"),
    path("org/transfers/<int:transfer_id>/reject/", transfers.transfer_reject, name="orgadmin_transfer_reject"),
    path(
        "org/transfers/<int:transfer_id>/code/",
        transfers.transfer_code_reissue,
        name="orgadmin_transfer_code_reissue",
    ),
    # Examinee
    path("me/", examinee.home, name="examinee_home"),
    path("me/arriving/", examinee.between_schools, name="examinee_between_schools"),
    path("me/transfers/<int:transfer_id>/answer/", transfers.history_consent, name="examinee_history_consent"),
    # Transfers into the school (teacher or org admin)
    path("transfers/arrive/", transfers.examinee_arrival, name="transfer_examinee_arrival"),
]
