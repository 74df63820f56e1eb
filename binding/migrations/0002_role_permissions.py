from django.db import migrations

import portal.roles


class Migration(migrations.Migration):
    dependencies = [
        ("binding", "0001_binding_settings_tokens_welcomes"),
        ("portal", "0002_roles"),
    ]

    operations = [migrations.RunPython(portal.roles.apply_role_permissions, migrations.RunPython.noop)]
