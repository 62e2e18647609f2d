"""Bodies under MESSAGE_KEYS: rotation keeps old messages readable, rotate_message_keys moves them on."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings as django_settings
from django.core.checks import run_checks
from django.core.management import call_command
from django.utils import translation

from messaging import crypto
from messaging.models import Message, Notice
from messaging.services import message_send, notice_send


@pytest.fixture(autouse=True)
def english():
    """The command's lines in English (they name the models in the active language, Japanese by default),
    whatever an earlier test left active.
    """
    with translation.override("en"):
        yield


OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


@pytest.fixture
def old_key(settings):
    settings.MESSAGE_KEYS = [OLD_KEY]
    return settings


def raw_tokens(model) -> list[str]:
    return list(model.objects.order_by("pk").values_list("body_encrypted", flat=True))


@pytest.mark.django_db
def test_bodies_are_stored_encrypted_under_the_newest_key(old_key, teacher, examinee):
    message = message_send(by=teacher, recipient=examinee, body="暗号化されるべき本文")

    [token] = raw_tokens(Message)
    assert "暗号化" not in token
    assert Fernet(OLD_KEY.encode()).decrypt(token.encode()).decode() == "暗号化されるべき本文"
    assert Message.objects.get(pk=message.pk).body == "暗号化されるべき本文"


@pytest.mark.django_db
def test_old_messages_stay_readable_after_a_new_key_is_added_in_front(old_key, teacher, examinee, school_class):
    message = message_send(by=teacher, recipient=examinee, body="古い鍵のメッセージ")
    notice = notice_send(school_class=school_class, by=teacher, body="古い鍵のお知らせ")

    old_key.MESSAGE_KEYS = [NEW_KEY, OLD_KEY]

    assert Message.objects.get(pk=message.pk).body == "古い鍵のメッセージ"
    assert Notice.objects.get(pk=notice.pk).body == "古い鍵のお知らせ"
    newer = message_send(by=examinee, recipient=teacher, body="新しい鍵")
    token = Message.objects.values_list("body_encrypted", flat=True).get(pk=newer.pk)
    assert Fernet(NEW_KEY.encode()).decrypt(token.encode()) == "新しい鍵".encode(), "the newest key encrypts"


@pytest.mark.django_db
def test_rotation_re_encrypts_so_only_the_new_key_is_needed(old_key, teacher, examinee, school_class):
    message_send(by=teacher, recipient=examinee, body="一通目")
    message_send(by=examinee, recipient=teacher, body="二通目")
    notice_send(school_class=school_class, by=teacher, body="お知らせ")
    before = raw_tokens(Message) + raw_tokens(Notice)

    old_key.MESSAGE_KEYS = [NEW_KEY, OLD_KEY]
    out = StringIO()
    call_command("rotate_message_keys", stdout=out)

    assert "messages: 2 re-encrypted, 0 already under the newest key" in out.getvalue()
    assert "notices: 1 re-encrypted, 0 already under the newest key" in out.getvalue()
    after = raw_tokens(Message) + raw_tokens(Notice)
    assert not set(before) & set(after)
    old_key.MESSAGE_KEYS = [NEW_KEY]
    assert [m.body for m in Message.objects.order_by("pk")] == ["一通目", "二通目"]
    assert Notice.objects.get().body == "お知らせ"
    old_key.MESSAGE_KEYS = [OLD_KEY]
    with pytest.raises(InvalidToken):
        Message.objects.first().body  # noqa: B018 - the old key alone no longer opens it


@pytest.mark.django_db
def test_rotation_twice_changes_nothing_the_second_time(old_key, teacher, examinee):
    message_send(by=teacher, recipient=examinee, body="一通目")
    old_key.MESSAGE_KEYS = [NEW_KEY, OLD_KEY]
    call_command("rotate_message_keys", stdout=StringIO())
    tokens = raw_tokens(Message)

    out = StringIO()
    call_command("rotate_message_keys", stdout=out)

    assert "messages: 0 re-encrypted, 1 already under the newest key" in out.getvalue()
    assert raw_tokens(Message) == tokens


def test_the_development_key_is_stable_and_depends_on_the_secret_key():
    assert crypto.development_key("a") == crypto.development_key("a")
    assert crypto.development_key("a") != crypto.development_key("b")
    Fernet(crypto.development_key("a").encode())  # a valid Fernet key


def test_without_keys_development_uses_the_derived_key(settings):
    settings.MESSAGE_KEYS = []
    token = crypto.encrypt("開発用")
    assert Fernet(crypto.development_key(django_settings.SECRET_KEY).encode()).decrypt(token.encode()).decode() == (
        "開発用"
    )


def test_a_key_that_is_not_a_fernet_key_fails_the_system_check(settings):
    settings.MESSAGE_KEYS = [NEW_KEY, "not-a-key"]
    errors = [error for error in run_checks() if error.id == "messaging.E001"]
    assert len(errors) == 1
    assert "key 2" in errors[0].msg


def test_production_without_message_keys_does_not_start():
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("MESSAGE_KEYS", None)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
        check=False,
    )
    assert result.returncode != 0
    assert "MESSAGE_KEYS must be set when DEBUG is off" in result.stderr

    env["MESSAGE_KEYS"] = NEW_KEY
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
        check=False,
    )
    assert started.returncode == 0, started.stderr
