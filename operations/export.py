"""A school's data export: requested by its org admin, built in the background, kept for days (docs/design.md §8.4).

An export is built by whoever claims it first: the thread the request starts
once its transaction commits, or `manage.py build_exports` from cron, which
also restarts a build whose builder went silent (its process died) and
deletes the files of expired exports. A claim is a fresh `build_token`
written by one UPDATE; a builder writes its progress and its result only
while the token is still its own, so a build taken over is never finished
twice. The ZIP is written entry by entry from iterated queries
(operations/export_files.py) into a private folder, `EXPORT_DIR`.
"""

from __future__ import annotations

import datetime
import io
import logging
import threading
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from classrooms.models import AuditEntry, Organization, User, audit_actions
from classrooms.spreadsheet import write_csv
from config.errors import ServiceError
from operations.export_files import CHUNK, EXPORT_FILES, ExportContext, ExportFile, readme
from operations.models import DataExport

logger = logging.getLogger(__name__)

# The audit log's action codes written here, and what the org admin reads for each (docs/design.md §9).
AUDIT_ACTIONS = audit_actions(
    {
        "export.request": gettext_lazy("Data export requested"),
        "export.download": gettext_lazy("Data export downloaded"),
    },
    details={"size": gettext_lazy("size (bytes)")},
)


class LostClaim(Exception):
    """The export was taken over by another builder: stop without writing anything more."""


# --- Requesting and downloading ------------------------------------------------------------------------


def export_request(*, organization: Organization, by: User) -> tuple[DataExport, bool]:
    """Queue an export of the school, or give the one already queued or being built (one at a time).

    Returns the export and whether it is new. The build starts in a thread once the transaction commits.
    """
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        current = DataExport.objects.filter(organization=organization, status__in=DataExport.IN_PROGRESS).first()
        if current is not None:
            return current, False
        export = DataExport.objects.create(organization=organization, requested_by=by)
        AuditEntry.record(organization=organization, actor=by, action="export.request", target=export)
        transaction.on_commit(lambda: start_build_thread(export.pk))
    return export, True


def export_download(*, export: DataExport, by: User) -> Path:
    """The ZIP file of a finished export, for its school's org admin; the download is audited."""
    if export.status != DataExport.Status.DONE:
        raise ServiceError(_("This export is not ready."), code="export_not_ready")
    path = export.path
    if export.is_expired() or path is None or not path.is_file():
        raise ServiceError(_("This export has expired and its file was deleted."), code="export_expired")
    AuditEntry.record(
        organization=export.organization, actor=by, action="export.download", target=export, size=export.size_bytes
    )
    return path


def download_name(export: DataExport) -> str:
    finished = timezone.localtime(export.finished_at or export.created_at)
    return f"kantoku-{export.organization.code}-{finished:%Y%m%d-%H%M}.zip"


# --- Claiming and building -----------------------------------------------------------------------------


def start_build_thread(export_id: int) -> threading.Thread:
    """Build the export in a thread of this process (a daemon: cron finishes what a dying process left)."""
    thread = threading.Thread(target=_build_in_thread, args=(export_id,), name=f"export-{export_id}", daemon=True)
    thread.start()
    return thread


def _build_in_thread(export_id: int) -> None:
    try:
        token = export_claim(export_id)
        if token is not None:
            export_build(export_id, token)
    finally:
        connections.close_all()  # this thread's connections only


def export_claim(export_id: int, *, stale_before: datetime.datetime | None = None) -> str | None:
    """Take the export for building: a queued one, or (with `stale_before`) one whose builder went silent.

    Returns the builder's token, or None when someone else holds it or it needs no building.
    """
    token, now = uuid.uuid4().hex, timezone.now()
    claimed = DataExport.objects.filter(_claimable(stale_before), pk=export_id).update(
        status=DataExport.Status.RUNNING, build_token=token, started_at=now, updated_at=now, rows_done=0, error=""
    )
    return token if claimed else None


def _claimable(stale_before: datetime.datetime | None) -> Q:
    """Queued exports, and (with `stale_before`) running ones whose builder has been silent since before it."""
    claimable = Q(status=DataExport.Status.QUEUED)
    if stale_before is not None:
        claimable |= Q(status=DataExport.Status.RUNNING, updated_at__lt=stale_before)
    return claimable


class Progress:
    """The builder's rows written so far, saved every CHUNK rows: the admin's progress bar and the sign of life."""

    def __init__(self, export_id: int, token: str):
        self.export_id, self.token, self.done, self.saved = export_id, token, 0, 0

    def _save(self, **fields) -> None:
        fields["updated_at"] = timezone.now()
        mine = DataExport.objects.filter(pk=self.export_id, build_token=self.token, status=DataExport.Status.RUNNING)
        if not mine.update(**fields):
            raise LostClaim

    def start(self, total: int) -> None:
        self._save(rows_total=total, rows_done=0)

    def counted(self, rows: Iterable[list[str]]) -> Iterator[list[str]]:
        for row in rows:
            yield row
            self.done += 1
            if self.done - self.saved >= CHUNK:
                self._save(rows_done=self.done)
                self.saved = self.done

    def finish(self, **fields) -> None:
        self._save(rows_done=self.done, **fields)


def export_build(export_id: int, token: str) -> None:
    """Write the ZIP of a claimed export; on any error the export is marked failed and its partial file removed."""
    export = DataExport.objects.select_related("organization").get(pk=export_id)
    export_dir = Path(settings.EXPORT_DIR)
    export_dir.mkdir(parents=True, exist_ok=True)
    final = export_dir / f"{export.organization.code}-{export.pk}-{token}.zip"
    partial = final.with_suffix(".part")
    progress = Progress(export_id, token)
    try:
        with translation.override("ja"):  # the files are for a Japanese school: labels in Japanese
            _write_zip(partial, ExportContext(export.organization), progress, EXPORT_FILES)
        partial.replace(final)
        now = timezone.now()
        progress.finish(
            status=DataExport.Status.DONE,
            file_name=final.name,
            size_bytes=final.stat().st_size,
            finished_at=now,
            expires_at=now + datetime.timedelta(days=settings.EXPORT_KEEP_DAYS),
        )
    except LostClaim:
        logger.info("data export %s: taken over by another builder", export_id)
        for path in (partial, final):
            path.unlink(missing_ok=True)
    except Exception as error:
        logger.exception("data export %s failed", export_id)
        for path in (partial, final):
            path.unlink(missing_ok=True)
        DataExport.objects.filter(pk=export_id, build_token=token).update(
            status=DataExport.Status.FAILED, finished_at=timezone.now(), error=f"{type(error).__name__}: {error}"[:2000]
        )


def _write_zip(path: Path, ctx: ExportContext, progress: Progress, files: Iterable[ExportFile]) -> None:
    files = list(files)
    progress.start(total=sum(export_file.query(ctx).count() for export_file in files))
    made = timezone.localtime(ctx.built_at).timetuple()[:6]  # the entries' time, as the README says it
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("README.txt", date_time=made), "\ufeff" + readme(ctx, files), zipfile.ZIP_DEFLATED
        )
        for export_file in files:
            items = export_file.query(ctx).iterator(chunk_size=CHUNK)
            entry = zipfile.ZipInfo(export_file.name, date_time=made)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with io.TextIOWrapper(archive.open(entry, "w", force_zip64=True), encoding="utf-8", newline="") as stream:
                write_csv(stream, export_file.header, progress.counted(export_file.rows(ctx, items)))


# --- From cron: manage.py build_exports ------------------------------------------------------------------


def exports_build_due(now: datetime.datetime | None = None) -> int:
    """Build every queued export, and every running one silent for EXPORT_STALE_MINUTES, in this process."""
    now = now or timezone.now()
    stale_before = now - datetime.timedelta(minutes=settings.EXPORT_STALE_MINUTES)
    due = DataExport.objects.filter(_claimable(stale_before)).order_by("created_at")
    built = 0
    for export_id in list(due.values_list("pk", flat=True)):
        token = export_claim(export_id, stale_before=stale_before)
        if token is not None:
            export_build(export_id, token)
            built += 1
    return built


def exports_purge(now: datetime.datetime | None = None) -> int:
    """Delete the files of expired exports (the rows stay, as the school's record), and leftovers of dead builds."""
    now = now or timezone.now()
    expired = DataExport.objects.filter(expires_at__lte=now).exclude(file_name="")
    purged = 0
    for export in expired:
        export.path.unlink(missing_ok=True)
        DataExport.objects.filter(pk=export.pk).update(file_name="")
        purged += 1
    export_dir = Path(settings.EXPORT_DIR)
    if export_dir.is_dir():
        day_ago = (now - datetime.timedelta(days=1)).timestamp()
        for partial in export_dir.glob("*.part"):
            if partial.stat().st_mtime < day_ago:
                partial.unlink(missing_ok=True)
    return purged
