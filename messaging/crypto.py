"""Message bodies at rest: Fernet tokens under the keys of settings.MESSAGE_KEYS (docs/messaging.md).

MESSAGE_KEYS lists Fernet keys newest first. The newest encrypts; every key
decrypts, so adding a key in front keeps old messages readable until
`manage.py rotate_message_keys` re-encrypts them and the old key can go.
"""

from __future__ import annotations

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

__all__ = ["InvalidToken", "decrypt", "development_key", "encrypt", "is_current", "key_problems", "rotate"]


def development_key(secret_key: str) -> str:
    """The key used when DEBUG is on and MESSAGE_KEYS is empty: stable for one SECRET_KEY.

    Never used in production (settings refuse to start without MESSAGE_KEYS when DEBUG is off).
    """
    digest = hashlib.sha256(f"kantoku.messaging.development-key:{secret_key}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def _keys() -> tuple[str, ...]:
    keys = tuple(settings.MESSAGE_KEYS)
    return keys or (development_key(settings.SECRET_KEY),)


@functools.lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    fernets = [Fernet(key.encode()) for key in keys]
    return MultiFernet(fernets), fernets[0]


def _multi() -> MultiFernet:
    return _fernets(_keys())[0]


def encrypt(text: str) -> str:
    """A Fernet token (ASCII) for `text`, under the newest key."""
    return _multi().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """The text of a token made under any of the configured keys; InvalidToken otherwise."""
    return _multi().decrypt(token.encode("ascii")).decode()


def is_current(token: str) -> bool:
    """Is the token already under the newest key?"""
    try:
        _fernets(_keys())[1].decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


def rotate(token: str) -> str:
    """The same text re-encrypted under the newest key (MultiFernet.rotate)."""
    return _multi().rotate(token.encode("ascii")).decode("ascii")


def key_problems() -> list[str]:
    """What is wrong with MESSAGE_KEYS, for the system check (empty when nothing is)."""
    problems = []
    for position, key in enumerate(settings.MESSAGE_KEYS, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            problems.append(f"MESSAGE_KEYS: key {position} is not a Fernet key (32 url-safe base64-encoded bytes).")
    return problems
