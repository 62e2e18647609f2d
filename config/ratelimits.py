"""Per-user limits on the HTTP requests where a flood hurts (docs/design.md §10.6).

Each limited view names a group of settings.RATE_LIMITS ("600/m": at most 600 POSTs a minute).
The counts are django-ratelimit's, kept in the default cache: Redis when REDIS_URL is set, so every
server process counts together; the process's memory otherwise (one process). Only POSTs count,
per signed-in user, so a class on one school address never shares a count and one account's flood
never refuses another. The limits sit far above what a person can honestly do (the measured peaks
are in docs/benchmarks.md), so they only ever stop scripts and stuck clients.

A refusal is HTTP 429 with Retry-After; the view decides its form (the attempt page's JSON, a form
with the error, or templates/429.html). If the cache cannot be reached the request goes through:
a limit is not worth refusing pupils' answers while Redis restarts.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

Refusal = Callable[..., HttpResponse]


def seconds_to_wait(request: HttpRequest, group: str) -> int | None:
    """Counts this POST in `group`; None when it may go ahead, else the seconds until the count restarts."""
    try:
        usage = get_usage(
            request,
            group=f"kantoku.{group}",
            key="user",
            rate=settings.RATE_LIMITS[group],
            method="POST",
            increment=True,
        )
    except RedisError:
        logger.warning("rate limit %s not counted: the cache is unreachable", group, exc_info=True)
        return None
    if usage is None or not usage["should_limit"]:
        return None
    return max(1, usage["time_left"])


def too_many_requests(request: HttpRequest, retry_after: int, *args, **kwargs) -> HttpResponse:
    """The default refusal: a page in the site's look (templates/429.html); `rate_limit` adds Retry-After."""
    return render(request, "429.html", {"retry_after": retry_after}, status=429)


def rate_limit(group: str, *, refused: Refusal = too_many_requests):
    """Limits a view's POSTs per user to settings.RATE_LIMITS[group]; put it under the role check.

    `refused(request, retry_after, *view_args, **view_kwargs)` answers a POST over the limit.
    """

    def decorator(view):
        @functools.wraps(view)
        def limited(request, *args, **kwargs):
            retry_after = seconds_to_wait(request, group)
            if retry_after is None:
                return view(request, *args, **kwargs)
            logger.warning("rate limit %s: user %s refused for %s s", group, request.user.pk, retry_after)
            response = refused(request, retry_after, *args, **kwargs)
            response["Retry-After"] = str(retry_after)
            return response

        return limited

    return decorator
