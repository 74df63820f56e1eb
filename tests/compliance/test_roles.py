"""Each role holds exactly the template permissions it needs."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client

from compliance.models import BrandLinkDomain
from portal.models import Brand


def test_reviewers_review_but_cannot_write_templates(reviewer: User) -> None:
    assert reviewer.has_perm("compliance.review_templateversion")
    assert reviewer.has_perm("compliance.add_promotionalterm")
    assert not reviewer.has_perm("compliance.change_templateversion")
    assert not reviewer.has_perm("compliance.add_messagetemplate")


def test_account_managers_write_templates_but_cannot_review(manager: User) -> None:
    assert manager.has_perm("compliance.change_templateversion")
    assert not manager.has_perm("compliance.review_templateversion")
    assert not manager.has_perm("compliance.add_brandlinkdomain")
    assert not manager.has_perm("compliance.view_reviewqueueitem")


def test_finance_has_no_template_permissions(finance: User) -> None:
    assert not any(perm.startswith("compliance.") for perm in finance.get_all_permissions())


def test_reviewers_maintain_any_brands_link_domains(reviewer: User, brand: Brand) -> None:
    domain = BrandLinkDomain.objects.create(brand=brand, domain="acme.example")
    client = Client()
    client.force_login(reviewer)
    response = client.post(f"/admin/compliance/brandlinkdomain/{domain.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not BrandLinkDomain.objects.exists()
