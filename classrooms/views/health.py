from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from operations.backups import latest_status


@never_cache
@require_GET
def healthz(request):
    """Database and channel layer reachable: 200, else 503 naming what failed.

    Also the age in seconds of the newest verified backup (null when there is none), for monitoring to
    alert on (docs/design.md §8.3); it never changes the status code.
    """
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy
        checks["database"] = f"error: {type(error).__name__}"
    try:
        layer = get_channel_layer()
        channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.send)(channel, {"type": "health.ping"})
        async_to_sync(layer.receive)(channel)
        checks["channel_layer"] = "ok"
    except Exception as error:  # noqa: BLE001
        checks["channel_layer"] = f"error: {type(error).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "error", **checks, "backup_age_seconds": _backup_age()}
    return JsonResponse(body, status=200 if healthy else 503)


def _backup_age() -> int | None:
    try:
        backup = latest_status(verified_only=True)
    except Exception:  # noqa: BLE001 - an unreadable backup folder must not fail the probe
        return None
    return None if backup is None else int(backup["age"])
