"""The org admin's data export page: request, watch, download (docs/design.md §8.4)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.contrib import messages
from django.core.handlers.asgi import ASGIRequest
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from classrooms.access import organization_of, role_required
from classrooms.models import User
from classrooms.spreadsheet import attachment_disposition
from config.errors import ServiceError
from operations import export
from operations.access import exports_of, get_export_for_org_admin

org_admin_required = role_required(User.Role.ORG_ADMIN)

DOWNLOAD_CHUNK_BYTES = 256 * 1024


def _exports_context(request) -> dict:
    exports = list(exports_of(organization_of(request.user))[:20])
    return {"exports": exports, "in_progress": any(item.is_in_progress for item in exports)}


@org_admin_required
@require_GET
@never_cache
def export_list(request):
    context = {**_exports_context(request), "keep_days": settings.EXPORT_KEEP_DAYS}
    return render(request, "operations/export_list.html", context)


@org_admin_required
@require_GET
@never_cache
def export_status(request):
    """The list alone, which the page asks for every 2 seconds while an export is being built (htmx)."""
    return render(request, "operations/partials/export_table.html", _exports_context(request))


@org_admin_required
@require_POST
def export_request(request):
    _export, created = export.export_request(organization=organization_of(request.user), by=request.user)
    if created:
        messages.success(request, _("The export is being prepared. You can leave this page and come back."))
    else:
        messages.info(request, _("An export of the school is already being prepared: it is shown below."))
    return redirect("operations:export_list")


@org_admin_required
@require_GET
@never_cache
def export_download(request, export_id: int):
    data_export = get_export_for_org_admin(request.user, export_id)
    try:
        path = export.export_download(export=data_export, by=request.user)
    except ServiceError as error:
        return render(
            request, "operations/export_unavailable.html", {"export": data_export, "reason": error.message}, status=410
        )
    return _zip_response(request, path, export.download_name(data_export))


def _zip_response(request, path: Path, filename: str) -> FileResponse:
    """The file, streamed: under ASGI chunk by chunk from a worker thread (a plain file would be read whole first)."""
    file = path.open("rb")
    if isinstance(request, ASGIRequest):
        response = FileResponse(_chunks(file), content_type="application/zip")
        response["Content-Length"] = str(path.stat().st_size)
        response["Content-Disposition"] = attachment_disposition(filename)
    else:
        response = FileResponse(file, as_attachment=True, filename=filename, content_type="application/zip")
    response["Cache-Control"] = "no-store"  # a school's personal data: never in a shared cache
    return response


async def _chunks(file: BinaryIO) -> AsyncIterator[bytes]:
    with file:
        while chunk := await asyncio.to_thread(file.read, DOWNLOAD_CHUNK_BYTES):
            yield chunk
