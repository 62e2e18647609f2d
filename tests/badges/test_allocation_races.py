"""Status indexes handed out at once (docs/design.md §12): under the list's row lock, no index is given twice
and the list's count matches the awards. PostgreSQL only: SQLite serializes every writer anyway.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from badges import services
from badges.models import Award, StatusList
from tests.threads import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RACERS = 12


def test_indexes_allocated_at_once_are_all_different():
    issuer = services.operator_issuer()
    with transaction.atomic():  # the list exists before the race (its creation is not what is raced)
        services.allocate_index(issuer)

    def allocate():
        with transaction.atomic():
            return services.allocate_index(issuer)[1]

    results, failures = at_once(dict.fromkeys(range(RACERS), allocate), timeout=60)
    assert failures == {}
    assert len(set(results.values())) == RACERS
    assert StatusList.objects.get(issuer=issuer).allocated == RACERS + 1
    assert not Award.objects.exists()
