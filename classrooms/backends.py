from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from classrooms.access import may_sign_in


class MembershipBackend(ModelBackend):
    """Sign-in by login id; only accounts that may act today can authenticate.

    Django calls `user_can_authenticate` both at sign-in and, through
    `get_user`, on every request and websocket connect. So suspending a user,
    suspending or terminating their organization, or the end of their
    membership locks them out at their very next request: their existing
    sessions stop working at once. The one account without a membership that
    may sign in is an examinee between schools (`may_sign_in`, docs/design.md §7),
    and only to one page.
    """

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and may_sign_in(user)


def throttled_login_id(request, credentials: dict | None) -> str | None:
    """The login id that django-axes counts failures against.

    Normalized as sign-in normalizes it, so 'Sakura-Pupil1' and 'sakura-pupil1'
    share one counter and changing case cannot buy extra guesses.
    """
    source = credentials if credentials else getattr(request, "POST", {})
    login_id = source.get("username") if source else None
    return login_id.strip().lower() if isinstance(login_id, str) else None
