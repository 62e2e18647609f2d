"""Demo data for `make run`: two schools, their staff, classes and pupils. Idempotent."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice

from badges import services as badge_services
from classrooms import services
from classrooms.models import Enrollment, Membership, Organization, SchoolClass, User
from classrooms.schoolyear import current_school_year, school_year_bounds, today
from classrooms.two_factor import RECOVERY_NAME
from exams.catalog import load_exam_document
from exams.models import Exam, ExamVersion
from operations.contracts import contract_approve

DEMO_PASSWORD = "kantoku-demo"  # noqa: S105 - published demo credential
OPERATOR_PASSWORD = "kantoku-operator"  # noqa: S105

SCHOOLS = [
    {
        "code": "sakura",
        "name": "さくら市立さくら小学校",
        "school_type": Organization.SchoolType.ELEMENTARY,
        "admin": ("sakura-admin", "校務 花子", "こうむ はなこ"),
        # sakura-teacher3 has no class and no pupils this year: room for the 40 of
        # classrooms/samples/demo-roster-40.csv (a teacher proctors at most 40 a year, docs/design.md §2).
        "teachers": [
            ("sakura-teacher", "山田 太郎", "やまだ たろう"),
            ("sakura-teacher2", "佐藤 恵", "さとう めぐみ"),
            ("sakura-teacher3", "鈴木 翔", "すずき しょう"),
        ],
        "classes": [
            (
                "5年1組",
                "sakura-teacher",
                [
                    ("sakura-pupil1", "青木 蓮", "あおき れん"),
                    ("sakura-pupil2", "石川 陽菜", "いしかわ ひな"),
                    ("sakura-pupil3", "上田 湊", "うえだ みなと"),
                    ("sakura-pupil4", "江口 結衣", "えぐち ゆい"),
                    ("sakura-pupil5", "大野 悠真", "おおの ゆうま"),
                    ("sakura-pupil6", "加藤 芽依", "かとう めい"),
                ],
            ),
            (
                "5年2組",
                "sakura-teacher2",
                [
                    ("sakura-pupil7", "木村 大和", "きむら やまと"),
                    ("sakura-pupil8", "小林 咲良", "こばやし さくら"),
                ],
            ),
        ],
    },
    {
        "code": "midori",
        "name": "みどり学園中学校",
        "school_type": Organization.SchoolType.SECONDARY,
        "admin": ("midori-admin", "緑川 誠", "みどりかわ まこと"),
        "teachers": [("midori-teacher", "中村 健", "なかむら けん")],
        "classes": [
            (
                "1年A組",
                "midori-teacher",
                [
                    ("midori-pupil1", "森 蒼", "もり あおい"),
                    ("midori-pupil2", "吉田 凛", "よしだ りん"),
                ],
            ),
        ],
    },
]


class Command(BaseCommand):
    help = "Load the demo organizations and accounts (safe to run again: existing data is left as it is)."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="where the site is served (printed)")

    def handle(self, *args, **options):
        with transaction.atomic():
            operator = self._operator()
            for school in SCHOOLS:
                self._school(school, operator)
            Organization.objects.get_or_create(
                code="hikari",
                defaults={
                    "name": "ひかり高等学校 (承認待ち / pending)",
                    "school_type": Organization.SchoolType.SECONDARY,
                    "unit_price": 300,
                },
            )
            self._exams()
            self._backdate()
        self._print_logins(options["url"])

    def _backdate(self) -> None:
        """Demo people belong to their school since the school year began, as real ones would:
        otherwise a transfer effective today would end a membership on the day it started.
        """
        first_day = school_year_bounds(current_school_year())[0]
        demo_people = [
            person[0]
            for school in SCHOOLS
            for person in [
                school["admin"],
                *school["teachers"],
                *(p for _c, _t, pupils in school["classes"] for p in pupils),
            ]
        ]
        created_today = {"starts_on": today(), "user__login_id__in": demo_people}
        Membership.objects.filter(**created_today).update(starts_on=first_day)
        Enrollment.objects.filter(starts_on=today(), examinee__login_id__in=demo_people, ends_on__isnull=True).update(
            starts_on=first_day
        )

    def _exams(self) -> None:
        """The sample tests of exams/samples (docs/exam-format.md, "The samples"): the reading test
        `reading-spring` and `mixed-quiz`, every question type. An exam whose code exists is left as it is.
        Each awards the operator's badge.
        """
        for path in sorted((settings.BASE_DIR / "exams" / "samples").glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            if not Exam.objects.filter(code=data["code"]).exists():
                load_exam_document(data)
        # The operator's issuer, and the badge of every published operator test (docs/design.md §12): a
        # demo pupil who passes a sample test gets one.
        badge_services.operator_issuer()
        for version in ExamVersion.objects.filter(exam__organization=None, status=ExamVersion.Status.PUBLISHED):
            badge_services.operator_achievement(version)

    def _operator(self) -> User:
        operator = User.objects.filter(login_id="operator").first()
        if operator is None:
            operator = User.objects.create_superuser("operator", OPERATOR_PASSWORD, name="運営 担当")
        # Operators always give a second factor (docs/design.md §1). The demo's has recovery codes only,
        # so that a one-time code from `manage.py addstatictoken operator` signs it in without a phone.
        StaticDevice.objects.get_or_create(user=operator, defaults={"name": RECOVERY_NAME, "confirmed": True})
        return operator

    def _demo_password(self, user: User) -> None:
        user.set_password(DEMO_PASSWORD)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])

    def _school(self, school: dict, operator: User) -> None:
        organization, created = Organization.objects.get_or_create(
            code=school["code"],
            # Two-factor sign-in stays off for the demo schools' org admins (the operator can turn it on).
            defaults={
                "name": school["name"],
                "school_type": school["school_type"],
                "unit_price": 300,
                "two_factor_required": False,
            },
        )
        if created:
            # Contracts begin with the school year, so the demo shows a realistic term.
            contract_approve(
                organization=organization, starts_on=school_year_bounds(current_school_year())[0], by=operator
            )
        admin = self._member(organization, User.Role.ORG_ADMIN, school["admin"], operator)
        teachers = {
            login_id: self._member(organization, User.Role.TEACHER, (login_id, name, kana), admin)
            for login_id, name, kana in school["teachers"]
        }
        for class_name, teacher_login, pupils in school["classes"]:
            teacher = teachers[teacher_login]
            school_class = SchoolClass.objects.filter(
                organization=organization, school_year=current_school_year(), name=class_name
            ).first() or services.class_create(
                organization=organization,
                teacher=teacher,
                school_year=current_school_year(),
                name=class_name,
                by=teacher,
            )
            rows = [
                services.RosterRow(name=name, kana=kana, number=number, login_id=login_id)
                for number, (login_id, name, kana) in enumerate(pupils, start=1)
                if not User.objects.filter(login_id=login_id).exists()
            ]
            if rows:
                for credential in services.examinees_issue(school_class=school_class, rows=rows, by=teacher):
                    self._demo_password(credential.user)

    def _member(self, organization: Organization, role: str, person: tuple[str, str, str], by: User) -> User:
        login_id, name, kana = person
        user = User.objects.filter(login_id=login_id).first()
        if user is None:
            user = services.member_issue(
                organization=organization, role=role, name=name, kana=kana, login_id=login_id, by=by
            ).user
            self._demo_password(user)
        return user

    def _print_logins(self, url: str) -> None:
        line = "-" * 64
        self.stdout.write(line)
        self.stdout.write(f"Kantoku demo logins ({url})")
        self.stdout.write(line)
        self.stdout.write(f"  operator   operator        / {OPERATOR_PASSWORD}   (console: /operator/)")
        self.stdout.write("             second factor: the code printed by")
        self.stdout.write("             .venv/bin/python manage.py addstatictoken operator   (one sign-in each)")
        self.stdout.write(f"  every other login below: password {DEMO_PASSWORD}")
        for school in SCHOOLS:
            self.stdout.write(f"  {school['name']}")
            self.stdout.write(f"    org admin  {school['admin'][0]}")
            for login_id, _name, _kana in school["teachers"]:
                taught = [name for name, teacher, _pupils in school["classes"] if teacher == login_id]
                where = (
                    f"class {', '.join(taught)}" if taught else "no class: import classrooms/samples/demo-roster-40.csv"
                )
                self.stdout.write(f"    teacher    {login_id:<16} ({where})")
            for class_name, _teacher, pupils in school["classes"]:
                first, last = pupils[0][0], pupils[-1][0]
                self.stdout.write(f"    examinees  {first} … {last}  (class {class_name})")
        self.stdout.write(line)
