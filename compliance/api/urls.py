from rest_framework.routers import SimpleRouter

from compliance.api.views import CopyCheckViewSet, MessageTemplateViewSet

router = SimpleRouter(trailing_slash=False)
router.register("templates", MessageTemplateViewSet, basename="template")
router.register("copy-checks", CopyCheckViewSet, basename="copy-check")

urlpatterns = router.urls
