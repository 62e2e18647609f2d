"""Exam catalog, attempts and results (docs/design.md §3)."""

from django.apps import AppConfig


class ExamsConfig(AppConfig):
    name = "exams"
