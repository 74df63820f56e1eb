from django.db import migrations

import portal.roles


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_unit_price_seed"),
        ("portal", "0002_roles"),
    ]

    operations = [migrations.RunPython(portal.roles.apply_role_permissions, migrations.RunPython.noop)]
