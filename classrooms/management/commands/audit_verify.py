"""Verify the audit log's hash chains from their start (cron, daily; docs/design.md §9).

Exits non-zero when a chain is broken, naming its first broken link; the
result is kept as the chain's checkpoint, which the org admin's audit page reads.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from classrooms.audit_chain import ChainReport, chain_keys, verify_and_remember
from classrooms.models import Organization


class Command(BaseCommand):
    help = "Check every audit chain (or one organization's) and name the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("--organization", metavar="CODE", help="only this organization's chain")

    def handle(self, *args, **options):
        organization = None
        if options["organization"]:
            organization = Organization.objects.filter(code=options["organization"]).first()
            if organization is None:
                raise CommandError(f"No organization with the code {options['organization']!r}.")
        names = dict(Organization.objects.values_list("pk", "code"))
        broken = 0
        for key in chain_keys(organization):
            report = verify_and_remember(key, incremental=False)
            name = names.get(key, "(no organization)") if key else "(no organization)"
            self.stdout.write(f"{name}: {_describe(report)}")
            broken += not report.ok
        if broken:
            raise CommandError(f"{broken} audit chain(s) broken.")


def _describe(report: ChainReport) -> str:
    if not report.ok:
        return f"BROKEN at {report.broken}"
    if report.last_at is None:
        return f"verified {report.count} entries"
    at = timezone.localtime(report.last_at).isoformat(timespec="seconds")
    return f"verified {report.count} entries up to {at} (sequence {report.sequence}, hash {report.last_hash[:16]})"
