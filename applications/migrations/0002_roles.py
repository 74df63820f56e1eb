from django.db import migrations

import portal.roles


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0001_initial"),
        ("portal", "0002_roles"),
    ]

    operations = [migrations.RunPython(portal.roles.apply_role_permissions, migrations.RunPython.noop)]
