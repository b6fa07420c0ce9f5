"""The generate stage's API: generation jobs."""

from rest_framework.routers import SimpleRouter

from training.generate.api import GenerationJobViewSet

router = SimpleRouter()
router.register("generation-jobs", GenerationJobViewSet, basename="api-generation-job")
urlpatterns = router.urls
