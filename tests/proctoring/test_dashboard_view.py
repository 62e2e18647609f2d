"""The live dashboard's page for a classroom (docs/design.md §3): what the view puts in it.

How it behaves in a browser: tests/browser/test_dashboard_classroom.py.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.proctoring.test_session_views import embedded_json

pytestmark = pytest.mark.django_db

CLASS_ACTIONS = ("announce", "pause_all", "resume_all", "extend_all")
PUPIL_ACTIONS = ("acknowledge", "warn", "pause", "resume", "extend", "report")


def test_the_teacher_gets_the_class_actions_and_the_pupils_dialog(client_of, teacher, proctored_session):
    response = client_of(teacher).get(reverse("proctoring:dashboard", args=[proctored_session.pk]))
    page = response.content.decode()
    for action in CLASS_ACTIONS:
        assert f'data-class-action="{action}"' in page, action
    for action in PUPIL_ACTIONS:
        assert f'data-action="{action}"' in page, action
    for dialog in ("examinee-dialog", "announce-dialog", "extend-all-dialog", "confirm-dialog"):
        assert f'id="{dialog}"' in page, dialog
    assert 'maxlength="200"' in page  # a notice: 1–200 characters (docs/protocol.md §2.2)


def test_the_org_admin_gets_the_pupils_dialog_without_any_action(client_of, org_admin, proctored_session):
    response = client_of(org_admin).get(reverse("proctoring:dashboard", args=[proctored_session.pk]))
    page = response.content.decode()
    assert 'id="examinee-dialog"' in page
    assert "data-class-action" not in page
    for action in PUPIL_ACTIONS:
        assert f'data-action="{action}"' not in page, action
    for dialog in ("announce-dialog", "extend-all-dialog", "confirm-dialog", "incident-dialog"):
        assert f'id="{dialog}"' not in page, dialog


def test_tiles_are_buttons_with_no_actions_on_them(client_of, teacher, proctored_session):
    page = client_of(teacher).get(reverse("proctoring:dashboard", args=[proctored_session.pk])).content.decode()
    template = page[page.index('<template id="tile-template">') : page.index("</template>")]
    assert template.count("<button") == 1
    assert 'class="tile-button" aria-haspopup="dialog"' in template


def test_the_words_are_japanese_for_a_japanese_teacher(client_of, teacher, proctored_session):
    response = client_of(teacher).get(
        reverse("proctoring:dashboard", args=[proctored_session.pk]), headers={"accept-language": "ja"}
    )
    words = embedded_json(response, "i18n")
    assert words["confirm_start"] == "%(count)s 人がまだ入室していません。開始しますか?"
    assert words["news"] == "%(number)s番 %(name)sさん: %(what)s"
    assert words["hand_raised"] == "呼んでいます"
    assert words["signals_short"]["tab_hidden"] == "タブ"
    page = response.content.decode()
    for word in (
        "インシデントを記録",
        "確認済みにする",
        "お知らせを送る",
        "全員を一時停止",
        "全員を再開",
        "全員に時間を追加",
        "要注意",
    ):
        assert word in page, word
