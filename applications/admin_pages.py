"""The tracker's own admin pages: moves with their evidence and confirmation, "This week", brand summary.

Mixed into :class:`applications.admin.ApplicationAdmin`; every page goes through its
brand-scoped queryset (another brand's application answers 404) and checks the permission.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from applications.choices import Stage
from applications.exceptions import ApplicationError
from applications.forms import MoveForm
from applications.models import Application
from applications.selectors import CONFIRMED_MOVES, correction_consequences, move_consequences, week_page
from applications.services import application_move, application_move_correct
from applications.summary import LANGUAGES, summary_pdf, summary_text
from applications.workdays import current_calendar


class TrackerPagesMixin:
    """Views for moves, corrections, the week page and the brand summary."""

    admin_site: Any

    def _changeable(self, request: HttpRequest, object_id: int) -> Application:
        if request.method != "POST":
            raise Http404
        application = self.get_object(request, str(object_id))  # type: ignore[attr-defined]
        if application is None:
            raise Http404
        if not self.has_change_permission(request, application):  # type: ignore[attr-defined]
            raise PermissionDenied
        return application

    def _say(self, request: HttpRequest, text: str, level: int) -> None:
        self.message_user(request, text, level)  # type: ignore[attr-defined]

    def _back(self, application: Application) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:applications_application_change", args=[application.pk]))

    def _confirm(
        self,
        request: HttpRequest,
        application: Application,
        form: MoveForm,
        *,
        action: str,
        title: str,
        lines: list[str],
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "original": application,
            "opts": Application._meta,
            "form": form,
            "action": action,
            "consequences": lines,
            "file_given": bool(request.FILES.get("evidence_file")),
        }
        return TemplateResponse(request, "admin/applications/application/confirm_move.html", context)

    def move_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        application = self._changeable(request, object_id)
        form = MoveForm(request.POST, request.FILES, application=application)
        to_stage = request.POST.get("to_stage", "")
        if not form.is_valid():
            self._say(request, gettext("Not moved: %(reason)s") % {"reason": form.first_error()}, messages.ERROR)
            return self._back(application)
        data = form.cleaned_data
        if to_stage in CONFIRMED_MOVES and not data["confirmed"]:
            label = Stage(to_stage).label
            return self._confirm(
                request,
                application,
                form,
                action=reverse("admin:applications_application_move", args=[application.pk]),
                title=gettext("Move %(application)s to “%(stage)s”?") % {"application": application, "stage": label},
                lines=move_consequences(application, to_stage),
            )
        try:
            application_move(
                application=application,
                to_stage=to_stage,
                actor=request.user,
                note=data["note"],
                at=data["effective_at"],
                evidence=data["evidence"],
                evidence_file=data["evidence_file"],
            )
        except ApplicationError as exc:
            self._say(request, gettext("Not moved: %(reason)s") % {"reason": exc.message}, messages.ERROR)
        else:
            self._say(
                request,
                gettext("Moved to “%(stage)s”.") % {"stage": application.get_stage_display()},
                messages.SUCCESS,
            )
        return self._back(application)

    def correct_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        application = self._changeable(request, object_id)
        form = MoveForm(request.POST, request.FILES, application=application)
        if not form.is_valid():
            self._say(request, gettext("Not corrected: %(reason)s") % {"reason": form.first_error()}, messages.ERROR)
            return self._back(application)
        if not form.cleaned_data["confirmed"]:
            return self._confirm(
                request,
                application,
                form,
                action=reverse("admin:applications_application_correct", args=[application.pk]),
                title=gettext("Correct the last move of %(application)s?") % {"application": application},
                lines=correction_consequences(application),
            )
        try:
            application_move_correct(
                application=application,
                actor=request.user,
                note=form.cleaned_data["note"],
                evidence_file=form.cleaned_data["evidence_file"],
            )
        except ApplicationError as exc:
            self._say(request, gettext("Not corrected: %(reason)s") % {"reason": exc.message}, messages.ERROR)
        else:
            self._say(
                request,
                gettext("Corrected: back in “%(stage)s”.") % {"stage": application.get_stage_display()},
                messages.SUCCESS,
            )
        return self._back(application)

    def week_view(self, request: HttpRequest) -> TemplateResponse:
        if not self.has_view_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        queryset = self.get_queryset(request)  # type: ignore[attr-defined]
        if not request.user.is_superuser:  # type: ignore[union-attr]
            queryset = queryset.filter(owner=request.user)
        today = timezone.localdate()
        page = week_page(queryset, today=today, calendar=current_calendar())
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("This week"),
            "opts": Application._meta,
            "page": page,
            "today": today,
            "show_owner": request.user.is_superuser,  # type: ignore[union-attr]
        }
        return TemplateResponse(request, "admin/applications/application/week.html", context)

    def summary_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        application = self.get_object(request, str(object_id))  # type: ignore[attr-defined]
        if application is None or not self.has_view_permission(request, application):  # type: ignore[attr-defined]
            raise Http404
        language = request.GET.get("language") or (
            "zh-hant" if (translation.get_language() or "").startswith("zh") else "en"
        )
        if language not in LANGUAGES:
            raise Http404
        today = timezone.localdate()
        calendar = current_calendar()
        if request.GET.get("format") == "pdf":
            content = summary_pdf(application, language=language, today=today, calendar=calendar)
            response = HttpResponse(content, content_type="application/pdf")
            filename = f"pnp-status-{application.brand.slug}-{application.pk}-{language}.pdf"
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Status summary for the brand"),
            "original": application,
            "opts": Application._meta,
            "language": language,
            "languages": LANGUAGES,
            "text": summary_text(application, language=language, today=today, calendar=calendar),
        }
        return TemplateResponse(request, "admin/applications/application/summary.html", context)
