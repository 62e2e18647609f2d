"""The test editor in the browser (docs/design.md §3, "The editor"): its services and its pages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from config.errors import ServiceError
from exams import versions
from exams.models import Exam, ExamVersion, Question
from tests.conftest import make_exam
from tests.exams.conftest import new_draft

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english(client):
    """The assertions read the English words (the site's default language is Japanese)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def draft(organization, teacher):
    _exam, version = new_draft(organization, teacher, code="weekly", title="週テスト", questions_per_attempt=1)
    return version


def rows(question):
    return [(choice.text, choice.is_correct) for choice in question.choices.all()]


# --- Services ---------------------------------------------------------------------------------------


def test_a_new_question_of_each_kind_starts_with_blank_rows_and_a_key_of_its_own(draft, teacher):
    made = [versions.question_add(version=draft, by=teacher, kind=kind) for kind in Question.Kind.values]
    assert [len(rows(question)) for question in made] == [2, 2, 0, 3]
    assert len({question.key for question in made}) == 4
    assert [question.position for question in made] == [0, 1, 2, 3]
    with pytest.raises(ServiceError):
        versions.question_add(version=draft, by=teacher, kind="essay")


def test_a_single_choice_question_is_saved_and_refuses_two_correct_choices(draft, teacher):
    question = versions.question_add(version=draft, by=teacher, kind="single")
    versions.question_update(question=question, by=teacher, prompt="首都は", choices=[("東京", True), ("大阪", False)])
    question.refresh_from_db()
    assert (question.prompt, rows(question)) == ("首都は", [("東京", True), ("大阪", False)])
    with pytest.raises(ServiceError, match="only one correct"):
        versions.question_update(question=question, by=teacher, prompt="x", choices=[("a", True), ("b", True)])
    with pytest.raises(ServiceError, match="same text"):
        versions.question_update(question=question, by=teacher, prompt="x", choices=[("a", True), ("a", False)])
    question.refresh_from_db()
    assert (question.prompt, rows(question)) == ("首都は", [("東京", True), ("大阪", False)])  # nothing lost


def test_a_multiple_choice_question_keeps_its_credit(draft, teacher):
    question = versions.question_add(version=draft, by=teacher, kind="multiple")
    versions.question_update(
        question=question, by=teacher, prompt="p", choices=[("a", True), ("b", True), ("c", False)], credit="partial"
    )
    question.refresh_from_db()
    assert question.credit == "partial"
    with pytest.raises(ServiceError):
        versions.question_update(question=question, by=teacher, prompt="p", choices=[], credit="most")
    with pytest.raises(ServiceError, match="at most 8"):
        versions.question_update(question=question, by=teacher, prompt="p", choices=[(str(n), False) for n in range(9)])


def test_a_short_answer_keeps_its_accepted_answers_without_blanks(draft, teacher):
    question = versions.question_add(version=draft, by=teacher, kind="short")
    versions.question_update(question=question, by=teacher, prompt="p", accepted=[" 東京 ", "", "とうきょう"])
    question.refresh_from_db()
    assert question.accepted_answers == ["東京", "とうきょう"]
    with pytest.raises(ServiceError, match="At most"):
        versions.question_update(question=question, by=teacher, prompt="p", accepted=[str(n) for n in range(21)])
    with pytest.raises(ServiceError, match="longer than"):
        versions.question_update(question=question, by=teacher, prompt="p", accepted=["あ" * 201])


def test_an_ordering_question_keeps_its_items_in_order_and_at_most_six(draft, teacher):
    question = versions.question_add(version=draft, by=teacher, kind="ordering")
    items = [("春", True), ("夏", False), ("秋", False), ("冬", False)]
    versions.question_update(question=question, by=teacher, prompt="季節の順", choices=items)
    assert rows(question) == [("春", False), ("夏", False), ("秋", False), ("冬", False)]
    with pytest.raises(ServiceError, match="at most 6"):
        versions.question_update(question=question, by=teacher, prompt="p", choices=[(str(n), False) for n in range(7)])
    versions.question_update(question=question, by=teacher, prompt="p", choices=items[:2])
    assert any("ordering" in problem for problem in versions.version_problems(draft))


def test_blank_choices_are_kept_in_the_draft_and_block_publishing(draft, teacher):
    question = versions.question_add(version=draft, by=teacher, kind="single")
    versions.question_update(question=question, by=teacher, prompt="p", choices=[("a", True), ("", False)])
    assert "Question 1: a choice or item has no text." in versions.version_problems(draft)
    with pytest.raises(ServiceError):
        versions.version_publish(version=draft, by=teacher)


def test_passages_are_added_moved_and_deleted_without_losing_their_questions(draft, teacher):
    first = versions.passage_add(version=draft, by=teacher, title="一", text="本文一")
    second = versions.passage_add(version=draft, by=teacher)
    assert (first.key, second.key) == ("p1", "p2")
    question = versions.question_add(version=draft, by=teacher, kind="short", passage=second)
    assert versions.passage_move(passage=second, by=teacher, direction=-1)
    assert list(draft.passages.order_by("position")) == [second, first]
    assert not versions.passage_move(passage=second, by=teacher, direction=-1)
    versions.passage_update(passage=second, by=teacher, title=" 二 ", text="本文二")
    second.refresh_from_db()
    assert (second.title, second.text) == ("二", "本文二")
    with pytest.raises(ServiceError):
        versions.passage_update(passage=second, by=teacher, title="", text="あ" * 10001)
    versions.passage_delete(passage=second, by=teacher)
    question.refresh_from_db()
    assert question.group is None


def test_questions_move_within_their_passage_and_duplicate_right_after(draft, teacher):
    passage = versions.passage_add(version=draft, by=teacher, text="t")
    alone = versions.question_add(version=draft, by=teacher, kind="short")
    a = versions.question_add(version=draft, by=teacher, kind="single", passage=passage, prompt="A")
    b = versions.question_add(version=draft, by=teacher, kind="single", passage=passage, prompt="B")
    assert versions.question_move(question=b, by=teacher, direction=-1)
    assert list(draft.questions.filter(group=passage).order_by("position")) == [b, a]
    assert not versions.question_move(question=alone, by=teacher, direction=1)  # alone among the standalone
    versions.question_update(question=b, by=teacher, prompt="B", passage=passage, choices=[("x", True), ("y", False)])
    copy = versions.question_duplicate(question=b, by=teacher)
    ordered = list(draft.questions.filter(group=passage).order_by("position"))
    assert ordered == [b, copy, a]
    assert (copy.prompt, rows(copy), copy.key != b.key) == ("B", [("x", True), ("y", False)], True)
    versions.question_delete(question=copy, by=teacher)
    assert not Question.objects.filter(pk=copy.pk).exists()


def test_settings_are_checked(draft, teacher):
    versions.version_settings_update(version=draft, by=teacher, title="新", time_limit_minutes=30)
    draft.refresh_from_db()
    assert (draft.title, draft.time_limit_minutes) == ("新", 30)
    for bad in ({"title": " "}, {"pass_mark_percent": 101}, {"questions_per_attempt": 0}):
        with pytest.raises(ServiceError):
            versions.version_settings_update(version=draft, by=teacher, **bad)


def test_a_published_version_refuses_every_change(draft, teacher):
    question = versions.question_add(version=draft, by=teacher, kind="short")
    versions.question_update(question=question, by=teacher, prompt="p", accepted=["a"])
    passage = versions.passage_add(version=draft, by=teacher, text="t")
    versions.question_update(question=question, by=teacher, prompt="p", accepted=["a"], passage=passage)
    versions.version_publish(version=draft, by=teacher)
    changes = [
        lambda: versions.version_settings_update(version=draft, by=teacher, title="x"),
        lambda: versions.passage_add(version=draft, by=teacher),
        lambda: versions.passage_update(passage=passage, by=teacher, title="", text="x"),
        lambda: versions.passage_move(passage=passage, by=teacher, direction=1),
        lambda: versions.passage_delete(passage=passage, by=teacher),
        lambda: versions.question_add(version=draft, by=teacher, kind="single"),
        lambda: versions.question_update(question=question, by=teacher, prompt="x"),
        lambda: versions.question_move(question=question, by=teacher, direction=1),
        lambda: versions.question_duplicate(question=question, by=teacher),
        lambda: versions.question_delete(question=question, by=teacher),
    ]
    for change in changes:
        with pytest.raises(ServiceError) as refused:
            change()
        assert refused.value.code == "published"


def test_a_passage_of_another_version_is_refused(draft, teacher, organization):
    _other, other_draft = new_draft(organization, teacher, code="other", title="別", questions_per_attempt=1)
    foreign = versions.passage_add(version=other_draft, by=teacher)
    with pytest.raises(ServiceError):
        versions.question_add(version=draft, by=teacher, kind="short", passage=foreign)


# --- Pages ------------------------------------------------------------------------------------------


def url(name, *args):
    return reverse(f"exams:{name}", args=args)


def test_a_teacher_creates_a_test_without_ever_seeing_a_code(client_of, teacher, organization):
    client = client_of(teacher)
    assert client.get(url("write_list")).status_code == 200
    data = {"title": "漢字テスト", "time_limit_minutes": 15, "pass_mark_percent": 70, "questions_per_attempt": 2}
    response = client.post(url("write_new"), data)
    exam = Exam.objects.get(title="漢字テスト")
    assert response.status_code == 302
    assert response["Location"] == url("write_exam", exam.pk)
    assert exam.organization == organization
    assert exam.versions.get().status == ExamVersion.Status.DRAFT
    page = client.get(url("write_exam", exam.pk)).content.decode()
    assert exam.code not in page
    assert client.post(url("write_new"), {**data, "pass_mark_percent": 101}).status_code == 400


def test_another_schools_tests_and_the_operators_are_404_for_a_teacher(
    client_of, teacher, foreign_teacher, other_organization
):
    theirs, their_draft = new_draft(
        other_organization, foreign_teacher, code="theirs", title="他", questions_per_attempt=1
    )
    question = versions.question_add(version=their_draft, by=foreign_teacher, kind="short")
    operators = make_exam(code="certification")
    client = client_of(teacher)
    for exam in (theirs, operators):
        assert client.get(url("write_exam", exam.pk)).status_code == 404
        assert client.post(url("write_draft_next", exam.pk)).status_code == 404
    assert client.post(url("write_question", theirs.pk, question.pk), {"prompt": "x"}).status_code == 404
    assert client.post(url("write_question_delete", theirs.pk, question.pk)).status_code == 404
    operator_question = operators.questions.first()
    assert client.post(url("write_question", operators.pk, operator_question.pk), {"prompt": "x"}).status_code == 404
    assert "他" not in client.get(url("write_list")).content.decode()
    question.refresh_from_db()
    assert question.prompt == ""


def test_pupils_and_org_admins_have_no_editor(client_of, examinee, org_admin):
    for user in (examinee, org_admin):
        assert client_of(user).get(url("write_list")).status_code == 404


def test_an_operator_writes_the_operators_catalog_and_not_a_schools(client_of, operator, teacher, draft):
    operators = make_exam(code="certification")
    client = client_of(operator)
    page = client.get(url("write_exam", operators.pk))
    assert page.status_code == 200
    assert "Edit (starts version 2 as a draft)" in page.content.decode()
    assert client.get(url("write_exam", draft.exam_id)).status_code == 404
    client.post(
        url("write_new"),
        {"title": "検定", "time_limit_minutes": 5, "pass_mark_percent": 50, "questions_per_attempt": 1},
    )
    assert Exam.objects.get(title="検定").organization is None


def test_a_published_version_is_read_only_until_the_next_draft_is_started(client_of, teacher, draft):
    question = versions.question_add(version=draft, by=teacher, kind="short")
    versions.question_update(question=question, by=teacher, prompt="首都は", accepted=["東京"])
    versions.version_publish(version=draft, by=teacher)
    client = client_of(teacher)
    page = client.get(url("write_exam", draft.exam_id)).content.decode()
    assert "Edit (starts version 2 as a draft)" in page
    assert 'name="prompt"' not in page
    assert client.post(url("write_question", draft.exam_id, question.pk), {"prompt": "x"}).status_code == 404
    assert client.post(url("write_draft_next", draft.exam_id)).status_code == 302
    new = ExamVersion.objects.get(exam_id=draft.exam_id, number=2)
    assert new.status == ExamVersion.Status.DRAFT
    page = client.get(url("write_exam", draft.exam_id)).content.decode()
    assert 'name="prompt"' in page
    assert "首都は" in page


def test_autosave_answers_with_the_save_state_and_refreshes_the_problems(client_of, teacher, draft):
    question = versions.question_add(version=draft, by=teacher, kind="single")
    client = client_of(teacher)
    data = {"prompt": "｜漢字《かんじ》の問題", "choice_text": ["一", "二"], "correct": ["1"]}
    response = client.post(url("write_question", draft.exam_id, question.pk), data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Saved at" in body
    assert "exam-saved" in response["HX-Trigger"]
    assert "<ruby>漢字<rp>（</rp><rt>かんじ</rt>" in body
    assert 'hx-swap-oob="true"' in body
    assert "<li>二</li>" in body  # the read view shows the choices as saved
    assert rows(question) == [("一", False), ("二", True)]
    refused = client.post(
        url("write_question", draft.exam_id, question.pk),
        {"prompt": "別", "choice_text": ["一", "一"]},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 200
    assert "Not saved" in refused.content.decode()
    question.refresh_from_db()
    assert question.prompt == "｜漢字《かんじ》の問題"
    problems = client.get(url("write_problems", draft.exam_id)).content.decode()
    assert "draws" not in problems
    assert "Before publishing" in problems


def test_a_refused_plain_save_shows_what_was_typed_and_why(client_of, teacher, draft):
    question = versions.question_add(version=draft, by=teacher, kind="single")
    client = client_of(teacher)
    data = {"prompt": "書きかけの問題", "choice_text": ["同じ", "同じ"], "op": "save"}
    response = client.post(url("write_question", draft.exam_id, question.pk), data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "書きかけの問題" in page
    assert "same text" in page


def test_the_row_buttons_add_remove_and_reorder(client_of, teacher, draft):
    question = versions.question_add(version=draft, by=teacher, kind="ordering")
    client = client_of(teacher)
    post = lambda op: client.post(  # noqa: E731
        url("write_question", draft.exam_id, question.pk),
        {"prompt": "p", "choice_text": [text for text, _c in rows(question)], "op": op},
    )
    client.post(url("write_question", draft.exam_id, question.pk), {"prompt": "p", "choice_text": ["a", "b", "c"]})
    assert post("add").status_code == 302
    assert [text for text, _c in rows(question)] == ["a", "b", "c", ""]
    post("up-1")
    assert [text for text, _c in rows(question)] == ["b", "a", "c", ""]
    post("remove-3")
    assert [text for text, _c in rows(question)] == ["b", "a", "c"]


def test_publish_is_refused_with_the_problems_listed(client_of, teacher, draft):
    versions.question_add(version=draft, by=teacher, kind="short")
    client = client_of(teacher)
    response = client.post(url("write_publish", draft.exam_id))
    page = response.content.decode()
    assert response.status_code == 400
    assert "Not published" in page
    assert "give at least one accepted answer" in page
    draft.refresh_from_db()
    assert draft.status == ExamVersion.Status.DRAFT


def test_a_teacher_publishes_through_the_pages(client_of, teacher, draft):
    client = client_of(teacher)
    client.post(url("write_question_add", draft.exam_id), {"kind": "short"})
    question = draft.questions.get()
    client.post(url("write_question", draft.exam_id, question.pk), {"prompt": "首都は", "accepted": "東京\nとうきょう"})
    assert client.post(url("write_publish", draft.exam_id)).status_code == 302
    draft.refresh_from_db()
    assert draft.status == ExamVersion.Status.PUBLISHED


def test_changes_are_post_only(client_of, teacher, draft):
    question = versions.question_add(version=draft, by=teacher, kind="short")
    client = client_of(teacher)
    for name, args in [
        ("write_publish", ()),
        ("write_settings", ()),
        ("write_passage_add", ()),
        ("write_question_add", ()),
        ("write_question", (question.pk,)),
        ("write_question_duplicate", (question.pk,)),
        ("write_draft_next", ()),
    ]:
        assert client.get(url(name, draft.exam_id, *args)).status_code == 405
    assert client.get(url("write_question_delete", draft.exam_id, question.pk)).status_code == 200  # the question
    assert Question.objects.filter(pk=question.pk).exists()


# --- The console and the navigation -----------------------------------------------------------------


def test_the_console_shows_questions_read_only_and_links_to_the_editor(client_of, operator):
    exam = make_exam(code="certification")
    question = exam.questions.first()
    client = client_of(operator)
    page = client.get(reverse("admin:exams_exam_change", args=[exam.pk])).content.decode()
    assert url("write_exam", exam.pk) in page
    change = reverse("admin:exams_question_change", args=[question.pk])
    assert client.get(change).status_code == 200
    assert client.post(change, {"prompt": "changed"}).status_code == 403
    assert client.get(reverse("admin:exams_question_add")).status_code == 403
    question.refresh_from_db()
    assert question.prompt != "changed"


def test_teachers_and_operators_find_the_editor_in_the_navigation(client_of, teacher, operator, org_admin):
    for user in (teacher, operator):
        assert url("write_list") in client_of(user).get(reverse("classrooms:password_change")).content.decode()
    assert url("write_list") not in client_of(org_admin).get(reverse("classrooms:password_change")).content.decode()


def test_the_list_says_each_tests_state_under_its_newest_title(client_of, teacher, draft):
    client = client_of(teacher)
    versions.version_settings_update(version=draft, by=teacher, title="新しい題")
    page = client.get(url("write_list")).content.decode()
    assert "新しい題" in page
    assert "Draft (not published yet)" in page
    question = versions.question_add(version=draft, by=teacher, kind="short")
    versions.question_update(question=question, by=teacher, prompt="p", accepted=["a"])
    versions.version_publish(version=draft, by=teacher)
    assert "Published (version 1)" in client.get(url("write_list")).content.decode()
    versions.exam_draft_next_version(exam=draft.exam, by=teacher)
    assert "Published (version 1); draft of version 2" in client.get(url("write_list")).content.decode()


def test_an_operator_edits_an_operator_test_in_its_next_version(client_of, operator):
    operators = make_exam(code="certification")
    client = client_of(operator)
    client.post(url("write_draft_next", operators.pk))
    draft = operators.versions.get(status=ExamVersion.Status.DRAFT)
    question = draft.questions.order_by("position").first()
    data = {"prompt": "改めた問", "choice_text": ["甲", "乙"], "correct": ["0"]}
    response = client.post(url("write_question", operators.pk, question.pk), data, HTTP_HX_REQUEST="true")
    assert "Saved at" in response.content.decode()
    question.refresh_from_db()
    assert question.prompt == "改めた問"
    published = operators.versions.get(number=1).questions.order_by("position").first()
    assert published.prompt == "問0"  # the published version is as it was


def test_settings_autosave_says_saved_or_why_not(client_of, teacher, draft):
    client = client_of(teacher)
    data = {"title": "改題", "time_limit_minutes": 20, "pass_mark_percent": 80, "questions_per_attempt": 1}
    saved = client.post(url("write_settings", draft.exam_id), data, HTTP_HX_REQUEST="true")
    assert "Saved at" in saved.content.decode()
    refused = client.post(
        url("write_settings", draft.exam_id), {**data, "time_limit_minutes": 0}, HTTP_HX_REQUEST="true"
    )
    assert "Not saved" in refused.content.decode()
    draft.refresh_from_db()
    assert (draft.title, draft.time_limit_minutes, draft.pass_mark_percent) == ("改題", 20, 80)
