"""The one error a service raises when a rule of the domain refuses a change.

Every app's services raise `ServiceError` (docs/design.md §9): a view shows its
message next to the form, a websocket consumer turns it into an `error` frame
(`{"type": "error", "code": ..., "message": ...}`, docs/protocol.md), and a
management command prints it. `code` is for programs and tests, stable and in
English; the message is for people and translated.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A rule refused the change; nothing was changed."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = str(message)
        self.code = code
