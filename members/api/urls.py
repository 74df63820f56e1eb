from rest_framework.routers import SimpleRouter

from members.api.views import MemberViewSet

router = SimpleRouter(trailing_slash=False)
router.register("members", MemberViewSet, basename="member")

urlpatterns = router.urls
