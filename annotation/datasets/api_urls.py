"""The datasets stage's API: snapshots and their exports."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from annotation.datasets.api import SnapshotExportView, SnapshotViewSet

router = SimpleRouter()
router.register("snapshots", SnapshotViewSet, basename="api-snapshot")
urlpatterns = [
    path("snapshots/<int:pk>/export/<str:fmt>/", SnapshotExportView.as_view(), name="api-snapshot-export"),
    *router.urls,
]
