"""The demo binding page (``make run`` only): a stand-in for the brand's LIFF page and backend.

A brand's LIFF page gets the member's ID token from LINE, shows the consent text and has the
brand's backend call the binding API. In the demo the LINE sandbox plays the LINE app: its
phone view opens a ``liff.line.me`` bind link here, with the user's ``id_token`` (as LIFF would
hand it to the page). This page then does what the brand's backend would: it asks LINE who the
token names, sends the member a one-time password and binds with the link, the code and the
token, through the same services as the API. Off (404) unless ``DEMO_MODE``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from binding.exceptions import BindingError
from binding.links import settings_for, token_brand_id, token_verify
from binding.services import line_binding_confirm, otp_send
from integrations import line as line_client
from members.models import Member
from portal.exceptions import PortalError
from portal.models import Brand

ACTOR = "demo-binding-page"
EVIDENCE = "Demo binding page: the member ticked 'I agree to bind my phone number to this LINE account'"
NOTICE_VERSION = "demo-privacy-1"


def _context(request: HttpRequest) -> dict[str, Any]:
    data = request.POST if request.method == "POST" else request.GET
    token, id_token = data.get("token", "").strip(), data.get("id_token", "").strip()
    context: dict[str, Any] = {"token": token, "id_token": id_token, "problem": "", "member": None, "who": None}
    brand_id = token_brand_id(token) if token else None
    brand = Brand.objects.filter(pk=brand_id).first() if brand_id else None
    binding = settings_for(brand) if brand else None
    if brand is None or binding is None:
        context["problem"] = _("This bind link is not valid; open the latest link from the member's phone.")
        return context
    context["brand"] = brand
    try:
        proof = token_verify(token=token, brand=brand, valid_for=timedelta(days=binding.link_valid_days))
    except BindingError as exc:
        context["problem"] = str(exc)
        return context
    if proof.member_id is not None:
        context["member"] = Member.objects.filter(pk=proof.member_id, brand=brand).first()
    else:
        external_id = data.get("member", "").strip()
        context["member_number"] = external_id
        context["member"] = Member.objects.filter(brand=brand, external_id=external_id).first() if external_id else None
        context["follower_link"] = True
    if not id_token:
        context["problem"] = _("No LINE ID token: open this page from the member's phone view in the LINE sandbox.")
        return context
    try:
        context["who"] = line_client.id_token_verify(id_token=id_token, client_id=binding.login_channel_id)
    except line_client.LineError as exc:
        context["problem"] = _("LINE did not confirm who you are (%(reason)s).") % {"reason": exc}
    return context


@require_http_methods(["GET", "POST"])
def demo_bind(request: HttpRequest) -> HttpResponse:
    """Show who is binding to which member; send the code; bind."""
    if not settings.DEMO_MODE:
        raise Http404
    context = _context(request)
    member, action = context["member"], request.POST.get("action", "")
    if request.method == "POST" and member is not None and context["who"] is not None and not context["problem"]:
        try:
            if action == "otp":
                otp = otp_send(member=member, actor=ACTOR)
                context["otp_sent"] = otp
            elif action == "bind":
                if request.POST.get("consent") != "yes":
                    raise BindingError(_("Tick the consent box to bind."), field="consent", code="consent_missing")
                link = line_binding_confirm(
                    member=member,
                    id_token=context["id_token"],
                    token=context["token"],
                    otp=request.POST.get("otp", "").strip(),
                    evidence=EVIDENCE,
                    notice_version=NOTICE_VERSION,
                    actor=ACTOR,
                )
                context["bound"] = link
        except PortalError as exc:
            context["error"] = str(exc)
            context["otp_sent"] = action == "bind" or None
    return render(request, "binding/demo_bind.html", context)
