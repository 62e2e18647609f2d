"""`manage.py export_exam CODE [--number N]`: write an exam version as a JSON document (docs/exam-format.md).

The document is format 2 and imports back with `manage.py import_exam`. Without
`--number`, the newest published version is written.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from exams.catalog import export_exam_document
from exams.models import Exam


class Command(BaseCommand):
    help = "Write an exam version as a JSON document (format: docs/exam-format.md) to standard output."

    def add_arguments(self, parser):
        parser.add_argument("code", help="the exam's code")
        parser.add_argument("--number", type=int, help="the version number (default: newest published)")

    def handle(self, *args, code: str, number: int | None, **options):
        exam = Exam.objects.filter(code=code).first()
        if exam is None:
            raise CommandError(f'no exam has the code "{code}"')
        version = exam.published_version() if number is None else exam.versions.filter(number=number).first()
        if version is None:
            raise CommandError(f'the exam "{code}" has no such version')
        self.stdout.write(json.dumps(export_exam_document(version), ensure_ascii=False, indent=2))
