"""The REST API: each app contributes its routes from its own `api_urls` module."""

from django.urls import include, path

urlpatterns = [
    path("", include("annotation.api_urls")),
]

# Training and generation jobs, model versions (helper "api"; views in training/api.py).
from rest_framework.routers import SimpleRouter  # noqa: E402

from training import api as training_api  # noqa: E402

_training = SimpleRouter()
_training.register("training-jobs", training_api.TrainingJobViewSet, basename="api-training-job")
_training.register("generation-jobs", training_api.GenerationJobViewSet, basename="api-generation-job")
_training.register("model-versions", training_api.ModelVersionViewSet, basename="api-model-version")
urlpatterns += _training.urls
