# The audit log's hash chain (docs/design.md §9): the chain fields, nullable until 0010 fills them.

from django.db import migrations, models

START = "0" * 64


class Migration(migrations.Migration):
    dependencies = [
        ("classrooms", "0010_organization_two_factor_required"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditChain",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.PositiveBigIntegerField(unique=True)),
                ("sequence", models.PositiveBigIntegerField(default=0)),
                ("head_hash", models.CharField(default=START, max_length=64)),
                ("purged_through", models.PositiveBigIntegerField(default=0)),
                ("purged_hash", models.CharField(default=START, max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.PositiveBigIntegerField(unique=True)),
                ("sequence", models.PositiveBigIntegerField(default=0)),
                ("entry_hash", models.CharField(default=START, max_length=64)),
                ("entry_at", models.DateTimeField(blank=True, null=True)),
                ("count", models.PositiveBigIntegerField(default=0)),
                ("checked_at", models.DateTimeField(blank=True, null=True)),
                ("broken", models.TextField(blank=True)),
            ],
        ),
        migrations.AddField(
            model_name="auditentry",
            name="sequence",
            field=models.PositiveBigIntegerField(editable=False, null=True, verbose_name="sequence"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
    ]
