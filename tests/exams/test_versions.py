"""Two catalogs and immutable versions (docs/design.md §3)."""

import pytest
from django.http import Http404

from config.errors import ServiceError
from exams.access import exam_may_be_started, get_exam_to_edit, may_read_questions, startable_exams
from exams.models import Choice, ExamVersion, Passage, Question
from exams.services import attempt_start, draw_questions
from exams.versions import exam_draft_next_version, version_problems, version_publish
from proctoring.services import session_open
from tests.conftest import make_exam
from tests.exams.conftest import new_draft


def school_exam(organization, teacher, code="weekly"):
    exam, draft = new_draft(organization, teacher, code=code, title="週テスト", questions_per_attempt=2)
    for number in range(2):
        question = Question.objects.create(exam=exam, version=draft, key=f"q{number}", prompt=f"問{number}")
        Choice.objects.create(question=question, text="正", is_correct=True, position=0)
        Choice.objects.create(question=question, text="誤", position=1)
    return exam


@pytest.mark.django_db
def test_a_new_school_exam_is_a_private_draft_until_published(organization, teacher, school_class):
    exam = school_exam(organization, teacher)
    assert exam.versions.get().status == ExamVersion.Status.DRAFT
    assert exam not in startable_exams(organization)
    with pytest.raises(ServiceError):
        session_open(school_class=school_class, exam=exam, by=teacher)
    version_publish(version=exam.versions.get(), by=teacher)
    assert exam in startable_exams(organization)


@pytest.mark.django_db
def test_the_start_screen_offers_the_operators_and_the_schools_own_tests_only(
    organization, other_organization, teacher, foreign_teacher
):
    operators = make_exam(code="certification")
    ours = school_exam(organization, teacher, code="ours")
    theirs = school_exam(other_organization, foreign_teacher, code="theirs")
    for exam in (ours, theirs):
        version_publish(version=exam.versions.get(), by=None)
    offered = set(startable_exams(organization))
    assert offered == {operators, ours}
    assert not exam_may_be_started(theirs, organization)


@pytest.mark.django_db
def test_another_schools_tests_and_the_operators_are_404_to_a_teacher(
    organization, other_organization, teacher, foreign_teacher
):
    ours = school_exam(organization, teacher, code="ours")
    theirs = school_exam(other_organization, foreign_teacher, code="theirs")
    operators = make_exam(code="certification")
    assert get_exam_to_edit(teacher, ours.pk) == ours
    for exam in (theirs, operators):
        with pytest.raises(Http404):
            get_exam_to_edit(teacher, exam.pk)


@pytest.mark.django_db
def test_teachers_never_read_the_operators_questions(organization, teacher, org_admin, operator):
    operators = make_exam(code="certification")
    ours = school_exam(organization, teacher, code="ours")
    assert not may_read_questions(teacher, operators)
    assert not may_read_questions(org_admin, operators)
    assert may_read_questions(operator, operators)
    assert may_read_questions(teacher, ours)


@pytest.mark.django_db
def test_publishing_refuses_a_version_with_problems(organization, teacher):
    exam = school_exam(organization, teacher)
    draft = exam.versions.get()
    Question.objects.create(exam=exam, version=draft, key="bad", prompt="選択肢なし")
    Passage.objects.create(version=draft, key="p1", text="本文")
    draft.questions_per_attempt = 9
    draft.save()
    problems = version_problems(draft)
    assert len(problems) == 3  # the draw is too big, the passage has no questions, a question has no choices
    with pytest.raises(ServiceError):
        version_publish(version=draft, by=teacher)
    draft.refresh_from_db()
    assert draft.status == ExamVersion.Status.DRAFT


@pytest.mark.django_db
def test_a_session_keeps_its_version_after_the_test_is_edited(organization, teacher, school_class, examinee):
    exam = school_exam(organization, teacher)
    first = version_publish(version=exam.versions.get(), by=teacher)
    session = session_open(school_class=school_class, exam=exam, by=teacher)
    assert session.version == first

    draft = exam_draft_next_version(exam=exam, by=teacher)
    assert draft.number == 2
    assert draft.status == ExamVersion.Status.DRAFT
    assert exam_draft_next_version(exam=exam, by=teacher) == draft  # one draft at a time
    assert sorted(draft.questions.values_list("key", flat=True)) == ["q0", "q1"]
    draft.questions.filter(key="q0").update(prompt="書き直した問")
    Choice.objects.filter(question__version=draft, is_correct=True).update(text="新しい正答")
    version_publish(version=draft, by=teacher)

    session.refresh_from_db()
    assert session.version == first
    attempt, _created = attempt_start(session=session, examinee=examinee)
    assert attempt.version == first
    prompts = set(attempt.questions.values_list("question__prompt", flat=True))
    assert prompts == {"問0", "問1"}
    assert set(first.questions.values_list("prompt", flat=True)) == {"問0", "問1"}
    assert exam.published_version().number == 2


@pytest.mark.django_db
def test_the_questions_of_a_passage_are_drawn_together(organization, teacher):
    exam = school_exam(organization, teacher)
    draft = exam.versions.get()
    passage = Passage.objects.create(version=draft, key="p", text="本文")
    grouped = [
        Question.objects.create(exam=exam, version=draft, group=passage, key=f"p{n}", prompt="?", position=10 + n)
        for n in range(3)
    ]
    lone = list(draft.questions.filter(group__isnull=True))
    for _ in range(20):
        drawn = draw_questions(grouped + lone, 4)
        taken = [question for question in drawn if question.group_id]
        assert taken in ([], grouped)  # all of the passage's questions, in their order, or none
        assert len(drawn) <= 4
