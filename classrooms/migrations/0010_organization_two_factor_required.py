from django.db import migrations, models


def existing_organizations_do_not_require_it(apps, schema_editor):
    """Organizations that existed before two-factor sign-in keep signing in as before, so that no
    org admin is locked out; the operator turns it on per organization (docs/design.md §1).
    """
    apps.get_model("classrooms", "Organization").objects.update(two_factor_required=False)


class Migration(migrations.Migration):
    dependencies = [
        ("classrooms", "0009_transfer_code"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="two_factor_required",
            field=models.BooleanField(
                default=True,
                help_text="Org admins confirm each sign-in with a code from an authenticator app.",
                verbose_name="org admins must use two-factor sign-in",
            ),
        ),
        migrations.RunPython(existing_organizations_do_not_require_it, migrations.RunPython.noop),
    ]
