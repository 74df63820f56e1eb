from rest_framework.routers import SimpleRouter

from binding.api.views import MemberLineBindingViewSet

# The same "members" prefix as the members app's routes: binding adds its sub-resources.
router = SimpleRouter(trailing_slash=False)
router.register("members", MemberLineBindingViewSet, basename="member")

urlpatterns = router.urls
