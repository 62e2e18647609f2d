"""Shared pieces of the badge tests: the W3C vector and a small issuer (docs/design.md §12)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from badges import keys, proofs

VECTOR_FILE = Path(__file__).resolve().parent / "fixtures" / "vc-di-eddsa-rdfc-2022-b1.json"
ISSUER = "https://kantoku.example/badges/issuer"
LIST_ID = "https://kantoku.example/badges/status/1"
VALID_FROM = "2026-12-01T00:00:00Z"


@pytest.fixture
def vector() -> dict:
    return json.loads(VECTOR_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection or resolve a name fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"the network was used: {args!r}")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def issuer_key() -> keys.SigningKey:
    return keys.generate()


@pytest.fixture
def resolver(issuer_key):
    return proofs.key_resolver(ISSUER, [issuer_key.public_key_multibase])
