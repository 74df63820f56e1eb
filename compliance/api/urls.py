from rest_framework.routers import SimpleRouter

from compliance.api.views import MessageTemplateViewSet

router = SimpleRouter(trailing_slash=False)
router.register("templates", MessageTemplateViewSet, basename="template")

urlpatterns = router.urls
