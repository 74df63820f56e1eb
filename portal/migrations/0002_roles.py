"""Create the staff roles with exactly the permissions listed in portal.roles."""

from django.db import migrations

from portal.roles import apply_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(apply_role_permissions, migrations.RunPython.noop)]
