"""Setup shared by the tests of exams."""

from __future__ import annotations

from exams.versions import exam_create


def new_draft(organization, teacher, *, code: str, title: str, questions_per_attempt: int, time_limit_minutes=10):
    """A school's new test (pass mark 50 %) and its empty version 1 draft, as the editor starts them."""
    exam = exam_create(
        organization=organization,
        code=code,
        title=title,
        time_limit_minutes=time_limit_minutes,
        questions_per_attempt=questions_per_attempt,
        pass_mark_percent=50,
        by=teacher,
    )
    return exam, exam.versions.get()
