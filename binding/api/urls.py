from django.urls import path

from binding.api.views import LineBindingOtpView, LineBindingView

urlpatterns = [
    path("members/<str:external_id>/line-binding", LineBindingView.as_view(), name="member-line-binding"),
    path("members/<str:external_id>/line-binding/otp", LineBindingOtpView.as_view(), name="member-line-binding-otp"),
]
