"""The train stage's API: training jobs and model versions."""

from rest_framework.routers import SimpleRouter

from training.train.api import ModelVersionViewSet, TrainingJobViewSet

router = SimpleRouter()
router.register("training-jobs", TrainingJobViewSet, basename="api-training-job")
router.register("model-versions", ModelVersionViewSet, basename="api-model-version")
urlpatterns = router.urls
