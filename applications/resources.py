"""CSV / XLSX export of applications with the date each stage was reached (django-import-export)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from import_export.fields import Field

from applications.choices import Stage, UseCase
from applications.models import Application
from applications.selectors import ApplicationStatus, application_status
from applications.workdays import WorkCalendar, current_calendar
from portal.exports import FormulaSafeResource

TIMELINE_STAGES = list(Stage)
STAGE_FIELDS = tuple(f"entered_{stage}" for stage in TIMELINE_STAGES)
COLUMNS = (
    "id",
    "brand",
    "path",
    "stage",
    "use_cases",
    "new_use_case_description",
    "owner",
    "expected_go_live",
    "due_on",
    "waited",
    "overdue",
    "forecast",
    "live_on",
    "created_at",
    *STAGE_FIELDS,
)


class BaseApplicationResource(FormulaSafeResource):
    brand = Field(attribute="brand__slug", column_name="brand")
    path = Field(attribute="path", column_name="path")
    stage = Field(attribute="stage", column_name="stage")
    use_cases = Field(column_name="use_cases")
    owner = Field(attribute="owner__username", column_name="owner")
    due_on = Field(attribute="stage_due_on", column_name="stage_due_on")
    waited = Field(column_name="working_days_in_stage")
    overdue = Field(column_name="working_days_overdue")
    forecast = Field(column_name="forecast_go_live")

    class Meta:
        model = Application
        fields = COLUMNS
        export_order = COLUMNS

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._calendar: WorkCalendar | None = None
        self._statuses: dict[int, ApplicationStatus] = {}

    def _status(self, application: Application) -> ApplicationStatus:
        if self._calendar is None:
            self._calendar = current_calendar()
        if application.pk not in self._statuses:
            self._statuses[application.pk] = application_status(
                application, today=timezone.localdate(), calendar=self._calendar
            )
        return self._statuses[application.pk]

    def export(self, queryset: QuerySet[Application] | None = None, **kwargs: Any) -> Any:
        if queryset is None:
            queryset = self.get_queryset()
        queryset = queryset.select_related("brand", "owner").prefetch_related("transitions")
        return super().export(queryset=queryset, **kwargs)

    def dehydrate_use_cases(self, application: Application) -> str:
        codes = [code for code in application.use_cases if code in UseCase.values]
        if application.has_new_use_case:
            codes.append("new_use_case")
        return " ".join(codes)

    def dehydrate_waited(self, application: Application) -> int:
        return int(self._status(application).waited_working_days)

    def dehydrate_overdue(self, application: Application) -> int:
        return int(self._status(application).overdue_working_days)

    def dehydrate_forecast(self, application: Application) -> str:
        forecast = self._status(application).forecast_go_live
        return forecast.isoformat() if forecast else ""


def _entered(stage: str) -> Callable[[Application], str]:
    def dehydrate(application: Application) -> str:
        times = [t.at for t in application.transitions.all() if t.to_stage == stage]
        return timezone.localdate(times[0]).isoformat() if times else ""

    return dehydrate


# One column per stage: the date it was first reached (the timeline in a spreadsheet row).
ApplicationResource = type(
    "ApplicationResource",
    (BaseApplicationResource,),
    {
        "__module__": __name__,
        "__doc__": "Applications with their stage dates, for spreadsheets.",
        **{
            f"entered_{stage}": Field(column_name=f"reached_{stage}", dehydrate_method=_entered(stage))
            for stage in TIMELINE_STAGES
        },
    },
)
