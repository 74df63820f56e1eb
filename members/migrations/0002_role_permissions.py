from django.db import migrations

import portal.roles


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0001_members_consent_line_links"),
        ("portal", "0002_roles"),
    ]

    operations = [migrations.RunPython(portal.roles.apply_role_permissions, migrations.RunPython.noop)]
