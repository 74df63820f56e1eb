"""Pages binding serves itself: the demo binding page (``DEMO_MODE`` only)."""

from django.urls import path

from binding.pages import demo_bind

app_name = "binding"
urlpatterns = [path("demo/bind/", demo_bind, name="demo-bind")]
