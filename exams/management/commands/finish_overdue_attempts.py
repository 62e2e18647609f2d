"""Finish every attempt whose deadline passed with nobody there, or whose examinee left. Safe to run any time (cron)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from exams.services import attempts_finish_departed, attempts_finish_overdue


class Command(BaseCommand):
    help = "Finish and score running attempts whose deadline has passed."

    def handle(self, *args, **options):
        finished = attempts_finish_overdue()
        self.stdout.write(f"{finished} overdue attempt(s) finished.")
        departed = attempts_finish_departed()
        self.stdout.write(f"{departed} attempt(s) of examinees who left their organization finished.")
