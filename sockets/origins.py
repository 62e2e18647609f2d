"""Which pages may open a websocket: only the site's own (docs/design.md §10.3).

A browser sends the page's origin (scheme, host and port) with every websocket handshake, and a
websocket is not covered by CSRF protection or the same-origin policy: the Origin header is what
stops a page of another site, or of another port on the same host, from opening a socket with the
pupil's session cookie. So the Origin must equal one of the site's own origins, exactly:

- the entries of CSRF_TRUSTED_ORIGINS when that setting is set (wildcard entries do not count here);
- otherwise the origin the handshake itself was made to: its Host header with the scheme the browser
  used (ws → http, wss → https, or https when SECURE_PROXY_SSL_HEADER says a TLS proxy was in front,
  as Django decides for HTTP);

and its host must be one of ALLOWED_HOSTS either way. A handshake without an Origin is refused:
every browser sends one, and only browsers are this service's clients. A refusal closes the socket
before it is accepted (daphne answers HTTP 403) and before any application code runs.
"""

from __future__ import annotations

import functools
from typing import NamedTuple
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


class Origin(NamedTuple):
    scheme: str
    host: str
    port: int


def parse_origin(value: str) -> Origin | None:
    """`scheme://host[:port]` as an Origin with its port made explicit; None for anything else."""
    try:
        parts = urlsplit(value.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or "*" in parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        return None
    return Origin(parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme])


def _header(scope: dict, name: bytes) -> str | None:
    for header_name, header_value in scope.get("headers", []):
        if header_name == name:
            return header_value.decode("latin-1")
    return None


def _is_secure(scope: dict) -> bool:
    """The scheme the browser used, as django.http.HttpRequest.is_secure() decides it."""
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        header = meta_name.removeprefix("HTTP_").lower().replace("_", "-").encode("latin-1")
        forwarded = _header(scope, header)
        if forwarded is not None:
            return forwarded.split(",", 1)[0].strip() == secure_value
    return scope.get("scheme") == "wss"


def _own_origin(scope: dict) -> Origin | None:
    host = _header(scope, b"host")
    if host is None:
        return None
    return parse_origin(f"{'https' if _is_secure(scope) else 'http'}://{host}")


@functools.lru_cache(maxsize=4)
def _trusted_origins(entries: tuple[str, ...]) -> frozenset[Origin]:
    """CSRF_TRUSTED_ORIGINS parsed once per value of the setting, not once per handshake."""
    return frozenset(origin for origin in map(parse_origin, entries) if origin is not None)


def site_origins(scope: dict) -> frozenset[Origin]:
    """The origins whose pages may open a websocket in this handshake."""
    if settings.CSRF_TRUSTED_ORIGINS:
        return _trusted_origins(tuple(settings.CSRF_TRUSTED_ORIGINS))
    own = _own_origin(scope)
    return frozenset() if own is None else frozenset({own})


def _allowed_hosts() -> list[str]:
    # As Django's own host check: with DEBUG on and ALLOWED_HOSTS empty, local names only.
    if settings.DEBUG and not settings.ALLOWED_HOSTS:
        return [".localhost", "127.0.0.1", "[::1]"]
    return settings.ALLOWED_HOSTS


def origin_allowed(scope: dict) -> bool:
    """Whether the handshake's Origin is one of the site's own origins, on a host of ALLOWED_HOSTS."""
    value = _header(scope, b"origin")
    origin = parse_origin(value) if value is not None else None
    if origin is None:
        return False
    domain = f"[{origin.host}]" if ":" in origin.host else origin.host  # an IPv6 address, as ALLOWED_HOSTS writes it
    return validate_host(domain, _allowed_hosts()) and origin in site_origins(scope)


class SiteOriginValidator:
    """ASGI middleware for websocket routes: refuses a handshake whose Origin is not the site's own."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("SiteOriginValidator is for websocket connections only")
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
