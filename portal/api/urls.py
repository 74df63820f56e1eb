from rest_framework.routers import SimpleRouter

from portal.api.views import BrandViewSet

router = SimpleRouter(trailing_slash=False)
router.register("brands", BrandViewSet, basename="brand")

urlpatterns = router.urls
