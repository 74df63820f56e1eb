from django.db import migrations

from portal.roles import apply_role_permissions


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial"), ("portal", "0002_roles")]

    operations = [migrations.RunPython(apply_role_permissions, migrations.RunPython.noop)]
