from django.db import migrations

import portal.roles


class Migration(migrations.Migration):
    dependencies = [("compliance", "0002_promotional_terms"), ("portal", "0002_roles")]
    operations = [migrations.RunPython(portal.roles.apply_role_permissions, migrations.RunPython.noop)]
