"""`manage.py import_exam FILE [FILE ...]`: put exams from JSON files into the catalog (docs/exam-format.md).

All or nothing: every file is read and checked first, and only when none has a
problem are they all written, in one transaction.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exams.catalog import CatalogError, ExamDocument, catalog_import, parse_exam_document, read_exam_json


class Command(BaseCommand):
    help = "Import exams from JSON files (format: docs/exam-format.md). A problem in any file imports nothing."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="an exam document (UTF-8 JSON)")
        parser.add_argument("--dry-run", action="store_true", help="check the files and write nothing")

    def handle(self, *args, files: list[Path], dry_run: bool, **options):
        documents, problems = self._read(files)
        if not problems:
            try:
                results = catalog_import(documents=documents, dry_run=dry_run)
            except CatalogError as error:
                problems.extend(error.problems)
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(problems)} problem(s) found; nothing was imported.")

        for result in results:
            document = result.document
            verb = "replaced" if result.replaced else "created"
            self.stdout.write(
                f"{'would be ' if dry_run else ''}{verb}: {document.code} 「{document.title}」 "
                f"{len(document.questions)} questions, {document.questions_per_attempt} per attempt, "
                f"{document.time_limit_minutes} min, pass mark {document.pass_mark_percent}%"
            )
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")

    @staticmethod
    def _read(files: list[Path]) -> tuple[list[ExamDocument], list[str]]:
        """Every file's document, and every problem of every file (each named by its path)."""
        documents: list[ExamDocument] = []
        problems: list[str] = []
        source: dict[str, Path] = {}
        for path in files:
            try:
                document = parse_exam_document(read_exam_json(path.read_bytes()))
            except OSError as error:
                problems.append(f"{path}: cannot be read ({error.strerror})")
            except CatalogError as error:
                problems.extend(f"{path}: {problem}" for problem in error.problems)
            else:
                if document.code in source:
                    problems.append(f'{path}: code "{document.code}" is also the code of {source[document.code]}')
                source.setdefault(document.code, path)
                documents.append(document)
        return documents, problems
