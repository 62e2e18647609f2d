"""Every existing exam becomes version 1, published; its questions, sessions and attempts point at it."""

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    Exam = apps.get_model("exams", "Exam")
    ExamVersion = apps.get_model("exams", "ExamVersion")
    Question = apps.get_model("exams", "Question")
    Attempt = apps.get_model("exams", "Attempt")
    ProctoredSession = apps.get_model("proctoring", "ProctoredSession")
    for exam in Exam.objects.all():
        version = ExamVersion.objects.create(
            exam=exam,
            number=1,
            status="published",
            published_at=exam.created_at or timezone.now(),
            title=exam.title,
            description=exam.description,
            time_limit_minutes=exam.time_limit_minutes,
            questions_per_attempt=exam.questions_per_attempt,
            pass_mark_percent=exam.pass_mark_percent,
        )
        Question.objects.filter(exam=exam).update(version=version)
        ProctoredSession.objects.filter(exam=exam).update(version=version)
        Attempt.objects.filter(exam=exam).update(version=version)


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0006_versions"),
        ("proctoring", "0009_versions"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
