"""ASGI entry point: HTTP through Django, websockets through Channels.

Websocket routes are wrapped in SiteOriginValidator (the Origin must be one of
the site's own origins: scheme, host and port; sockets/origins.py) and AuthMiddlewareStack (the session's user, checked
by the same backend as HTTP). Routes: proctoring/routing.py, messaging/routing.py.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from messaging.routing import websocket_urlpatterns as inbox_routes  # noqa: E402
from proctoring.routing import websocket_urlpatterns  # noqa: E402
from sockets.origins import SiteOriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SiteOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns + inbox_routes))),
    }
)
