"""Only the site's own pages may open a websocket: Origin = scheme, host and port (sockets/origins.py).

The routes come from the routing modules config/asgi.py serves, not from a list kept here: a new
route is tested as soon as it exists (and this file says so if it cannot fill the route's ids).
"""

from __future__ import annotations

import pytest
from channels.layers import get_channel_layer

from messaging.routing import websocket_urlpatterns as messaging_routes
from proctoring.routing import websocket_urlpatterns as proctoring_routes
from sockets.origins import origin_allowed, parse_origin
from tests.websockets import ALLOWED_ORIGIN, IN_MEMORY_LAYER, Sockets, joined_groups

ROUTES = proctoring_routes + messaging_routes
# Who may connect to each route (so that a refusal below is the Origin's doing, not the user's).
CONNECTS = {"ws/proctor/": "teacher", "ws/exam/": "examinee", "ws/inbox/": "examinee"}
REFUSED_ORIGINS = {
    "a foreign port": b"http://127.0.0.1:8001",
    "a foreign scheme": b"https://127.0.0.1:8000",
    "a foreign host": b"http://evil.example",
    "another allowed host": b"http://localhost:8000",
    "a look-alike host": b"http://127.0.0.1.evil.example:8000",
    "an opaque origin": b"null",
    "no origin": None,
}


def _path(route, proctored_session) -> str:
    ids = {"session_id": proctored_session.pk}
    names = set(route.pattern.converters)
    assert names <= set(ids), f"teach tests/sockets/test_origins.py to fill {names - set(ids)} in {route.pattern}"
    path = str(route.pattern)
    for name, converter in route.pattern.converters.items():
        path = path.replace(f"<{'int' if converter.regex == '[0-9]+' else 'str'}:{name}>", str(ids[name]))
    return f"/{path}"


@pytest.fixture
def who_connects(teacher, examinee):
    """The user who may connect to a route."""
    people = {"teacher": teacher, "examinee": examinee}

    def who(route):
        prefix = next((prefix for prefix in CONNECTS if str(route.pattern).startswith(prefix)), None)
        assert prefix is not None, f"say in tests/sockets/test_origins.py who may connect to {route.pattern}"
        return people[CONNECTS[prefix]]

    return who


@pytest.fixture
async def sockets(settings):
    settings.CHANNEL_LAYERS = IN_MEMORY_LAYER
    settings.CSRF_TRUSTED_ORIGINS = []  # the site's origin is the handshake's own Host and scheme
    opened = Sockets()
    yield opened
    await opened.close_all()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", ROUTES, ids=lambda route: str(route.pattern))
@pytest.mark.parametrize("origin", REFUSED_ORIGINS.values(), ids=REFUSED_ORIGINS.keys())
async def test_a_foreign_origin_is_refused_on_every_route(sockets, who_connects, proctored_session, route, origin):
    path, who = _path(route, proctored_session), who_connects(route)

    _socket, connected, code = await sockets.connect(path, who, origin=origin)

    assert (connected, code) == (False, 1000)  # closed before accept: daphne answers HTTP 403
    assert joined_groups(get_channel_layer()) == {}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", ROUTES, ids=lambda route: str(route.pattern))
async def test_the_sites_own_origin_is_accepted_on_every_route(sockets, who_connects, proctored_session, route):
    path, who = _path(route, proctored_session), who_connects(route)

    _socket, connected, detail = await sockets.connect(path, who, origin=ALLOWED_ORIGIN)

    assert connected, f"refused with {detail}"


def test_these_are_the_routes_the_application_serves():
    from config import asgi

    assert asgi.websocket_urlpatterns + asgi.inbox_routes == ROUTES


# --- The rule itself, on handshake scopes -------------------------------------------------------


def scope(origin: str | None, host: str = "kantoku.example.jp", scheme: str = "ws", **headers: str) -> dict:
    items = [("host", host)] + ([("origin", origin)] if origin is not None else []) + list(headers.items())
    return {
        "type": "websocket",
        "scheme": scheme,
        "headers": [(name.replace("_", "-").encode(), value.encode()) for name, value in items],
    }


@pytest.fixture
def site(settings):
    settings.ALLOWED_HOSTS = ["kantoku.example.jp"]
    settings.CSRF_TRUSTED_ORIGINS = []
    settings.SECURE_PROXY_SSL_HEADER = None
    return settings


def test_a_secure_handshake_accepts_only_https_of_the_same_host_and_port(site):
    assert origin_allowed(scope("https://kantoku.example.jp", scheme="wss"))
    assert origin_allowed(scope("https://kantoku.example.jp:443", scheme="wss"))
    assert not origin_allowed(scope("http://kantoku.example.jp", scheme="wss"))
    assert not origin_allowed(scope("https://kantoku.example.jp:8443", scheme="wss"))


def test_behind_a_tls_proxy_the_forwarded_scheme_counts(site):
    site.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    assert origin_allowed(scope("https://kantoku.example.jp", x_forwarded_proto="https"))
    assert not origin_allowed(scope("http://kantoku.example.jp", x_forwarded_proto="https"))
    assert origin_allowed(scope("http://kantoku.example.jp"))  # no header: the connection's own scheme


def test_without_the_proxy_setting_a_forwarded_scheme_is_not_believed(site):
    assert not origin_allowed(scope("https://kantoku.example.jp", x_forwarded_proto="https"))
    assert origin_allowed(scope("http://kantoku.example.jp", x_forwarded_proto="https"))


def test_a_host_outside_allowed_hosts_is_refused_even_as_its_own_origin(site):
    assert not origin_allowed(scope("http://evil.example", host="evil.example"))


def test_a_handshake_without_a_host_is_refused(site):
    assert not origin_allowed(
        {"type": "websocket", "scheme": "ws", "headers": [(b"origin", b"http://kantoku.example.jp")]}
    )


def test_csrf_trusted_origins_are_the_sites_origins_when_set(site):
    site.CSRF_TRUSTED_ORIGINS = ["https://kantoku.example.jp", "https://*.example.jp"]

    # The proxy may hand daphne any Host: the configured origins decide.
    assert origin_allowed(scope("https://kantoku.example.jp", host="127.0.0.1:8001"))
    assert not origin_allowed(scope("http://kantoku.example.jp"))
    assert not origin_allowed(scope("https://kantoku.example.jp:8443"))
    assert not origin_allowed(scope("https://other.example.jp"))  # a wildcard entry does not count here


def test_a_trusted_origin_outside_allowed_hosts_is_refused(site):
    site.CSRF_TRUSTED_ORIGINS = ["https://kantoku.example.jp", "https://old-name.example.jp"]

    assert not origin_allowed(scope("https://old-name.example.jp"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://127.0.0.1:8000", ("http", "127.0.0.1", 8000)),
        ("HTTPS://Kantoku.Example.JP", ("https", "kantoku.example.jp", 443)),
        ("http://[::1]:8000", ("http", "::1", 8000)),
        ("null", None),
        ("ftp://kantoku.example.jp", None),
        ("http://kantoku.example.jp/page", None),
        ("http://user@kantoku.example.jp", None),
        ("http://kantoku.example.jp:99999", None),
        ("", None),
    ],
)
def test_parse_origin(value, expected):
    assert parse_origin(value) == expected
