"""Seed the promotional word list reviewers maintain in the admin."""

from typing import Any

from django.db import migrations

INITIAL_TERMS = [
    "折扣", "優惠", "限時", "特價", "免費送", "抽獎", "促銷", "折價券", "優惠券", "買一送一", "好康", "折價",
    "特惠", "下殺", "出清", "限量", "搶購", "滿額", "加購", "贈品", "新品上市", "周年慶", "週年慶", "紅利加碼",
    "sale", "discount", "coupon", "promo", "promotion", "promotional", "free gift", "limited time", "special offer", "buy one get one",
    "flash sale", "giveaway", "voucher", "deal", "clearance", "lucky draw",
]  # fmt: skip


def seed_terms(apps: Any, schema_editor: Any) -> None:
    term_model = apps.get_model("compliance", "PromotionalTerm")
    for term in INITIAL_TERMS:
        term_model.objects.get_or_create(term=term.lower(), defaults={"note": "initial list"})


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_templates")]
    operations = [migrations.RunPython(seed_terms, migrations.RunPython.noop)]
