from django.urls import path

from members.api.views import MemberConsentsView, MemberView

urlpatterns = [
    path("members/<str:external_id>", MemberView.as_view(), name="member-detail"),
    path("members/<str:external_id>/consents", MemberConsentsView.as_view(), name="member-consents"),
]
