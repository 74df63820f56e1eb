"""More allowed phrases: service names and fee terms whose words also appear in advertising."""

from typing import Any

from django.db import migrations

# 限時 names a delivery or a service window, 聯名卡 a co-branded card product, 免手續費 a fee term.
PHRASES = [
    ("限時送達", "a delivery service level"), ("限時配送", "a delivery service level"),
    ("限時寄送", "a delivery service level"), ("限時派送", "a delivery service level"),
    ("限時維修", "a repair or maintenance window"), ("限時施工", "a repair or maintenance window"),
    ("聯名卡", "a co-branded card product"), ("co-branded card", "a co-branded card product"),
    ("免手續費", "a fee term of the member's account"), ("免付費專線", "toll-free line"),
]  # fmt: skip


def seed_phrases(apps: Any, schema_editor: Any) -> None:
    phrase_model = apps.get_model("compliance", "AllowedPhrase")
    for phrase, note in PHRASES:
        phrase_model.objects.get_or_create(phrase=phrase.lower(), defaults={"note": f"initial list: {note}"})


class Migration(migrations.Migration):
    dependencies = [("compliance", "0006_review_workflow")]
    operations = [migrations.RunPython(seed_phrases, migrations.RunPython.noop)]
