# Every audit entry is a link now; on PostgreSQL the table refuses UPDATE and DELETE
# except a school's data deletion, which names its organization in a transaction-local
# setting (classrooms/audit_chain.py: audit_purge; docs/design.md §8.4, §9).

from django.db import migrations, models

TRIGGER = """
CREATE FUNCTION classrooms_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.organization_id IS NOT NULL
       AND current_setting('kantoku.audit_purge', true) = OLD.organization_id::text THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER classrooms_auditentry_append_only
    BEFORE UPDATE OR DELETE ON classrooms_auditentry
    FOR EACH ROW EXECUTE FUNCTION classrooms_auditentry_append_only();
"""

DROP_TRIGGER = """
DROP TRIGGER IF EXISTS classrooms_auditentry_append_only ON classrooms_auditentry;
DROP FUNCTION IF EXISTS classrooms_auditentry_append_only();
"""


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER, params=None)  # no placeholders: the % belong to RAISE


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("classrooms", "0012_audit_chain_existing"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="sequence",
            field=models.PositiveBigIntegerField(editable=False, verbose_name="sequence"),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="hash",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AddConstraint(
            model_name="auditentry",
            constraint=models.UniqueConstraint(
                fields=("organization", "sequence"), name="one_audit_entry_per_chain_link"
            ),
        ),
        migrations.AddConstraint(
            model_name="auditentry",
            constraint=models.UniqueConstraint(
                condition=models.Q(organization__isnull=True),
                fields=("sequence",),
                name="one_audit_entry_per_link_of_no_org",
            ),
        ),
        migrations.RunPython(add_trigger, drop_trigger),
    ]
