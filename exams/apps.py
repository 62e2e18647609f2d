"""Exam catalog, attempts and results (issue 3)."""

from django.apps import AppConfig


class ExamsConfig(AppConfig):
    name = "exams"
