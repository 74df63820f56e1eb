"""The front door: `/` leads to the admin, and the API docs page loads under the CSP."""

from __future__ import annotations

import re

from django.contrib.staticfiles import finders
from django.test import Client


def test_the_root_redirects_to_the_admin(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_the_docs_page_loads_every_script_from_the_portal_itself(client: Client) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts, html
    for attributes, body in scripts:
        assert body.strip() == "", "an inline script would be refused by the CSP"
        src = re.search(r'src="([^"]+)"', attributes)
        assert src and src.group(1).startswith("/"), attributes
    for asset in re.findall(r'(?:src|href)="/static/([^"]+)"', html):
        assert finders.find(asset), f"{asset} is not among the portal's static files"
    start = re.search(r'src="(/api/docs/\?script=[^"]*)"', html)
    assert start, html
    script = client.get(start.group(1))
    assert script.status_code == 200 and "/api/schema/" in script.content.decode()
