"""Record the first term of every contract approved before terms were recorded (docs/design.md §8.1).

The daily `renew_contracts` then records the renewals since, as for any late run.
"""

from django.db import migrations

from classrooms.models import term_end_after


def first_terms(apps, schema_editor):
    Organization = apps.get_model("classrooms", "Organization")
    ContractTerm = apps.get_model("operations", "ContractTerm")
    running = Organization.objects.exclude(status="pending").exclude(contract_starts_on=None)
    for organization in running.filter(contract_terms=None):
        ContractTerm.objects.create(
            organization=organization,
            starts_on=organization.contract_starts_on,
            ends_on=term_end_after(organization.contract_starts_on),
            unit_price=organization.unit_price,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0001_contract_terms"),
        ("classrooms", "0008_contract_price_and_suspension"),
    ]

    operations = [migrations.RunPython(first_terms, migrations.RunPython.noop)]
