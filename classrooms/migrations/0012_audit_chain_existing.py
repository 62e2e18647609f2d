# Links the audit entries written before the chain existed, in the order they were written (their ids).

from django.db import migrations

from classrooms.models import AUDIT_CHAIN_START, audit_canonical

BATCH = 2000


def link_existing(apps, schema_editor):
    import hashlib

    AuditEntry = apps.get_model("classrooms", "AuditEntry")
    AuditChain = apps.get_model("classrooms", "AuditChain")
    heads = {}
    batch = []
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=BATCH):
        key = entry.organization_id or 0
        sequence, prev_hash = heads.get(key, (0, AUDIT_CHAIN_START))
        entry.sequence, entry.prev_hash = sequence + 1, prev_hash
        entry.hash = hashlib.sha256(audit_canonical(entry)).hexdigest()
        heads[key] = (entry.sequence, entry.hash)
        batch.append(entry)
        if len(batch) == BATCH:
            AuditEntry.objects.bulk_update(batch, ["sequence", "prev_hash", "hash"])
            batch = []
    AuditEntry.objects.bulk_update(batch, ["sequence", "prev_hash", "hash"])
    AuditChain.objects.bulk_create(
        AuditChain(key=key, sequence=sequence, head_hash=head_hash) for key, (sequence, head_hash) in heads.items()
    )


def unlink(apps, schema_editor):
    apps.get_model("classrooms", "AuditChain").objects.all().delete()
    apps.get_model("classrooms", "AuditCheckpoint").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("classrooms", "0011_audit_chain"),
    ]

    operations = [migrations.RunPython(link_existing, unlink)]
