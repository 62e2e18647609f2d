"""The only door from user input to this app's objects (docs/design.md §9): anything not visible is 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from classrooms.access import organization_of
from classrooms.models import Organization, User
from operations.models import DataExport


def exports_of(organization: Organization) -> QuerySet[DataExport]:
    """The school's data exports, newest first."""
    return DataExport.objects.filter(organization=organization).select_related("requested_by")


def get_export_for_org_admin(user: User, export_id: int) -> DataExport:
    """An export of the org admin's own organization (the caller checks the role)."""
    try:
        return exports_of(organization_of(user)).select_related("organization").get(pk=export_id)
    except DataExport.DoesNotExist:
        raise Http404 from None
