from django.urls import path  # noqa: F401

urlpatterns: list = []

# The review queue (helper "review"): claim / submit / renew / release / undo / progress.
from django.urls import include  # noqa: E402

urlpatterns += [path("", include("annotation.review_api"))]

# Corpus, questions, candidates, snapshots and exports (helper "api"), plus the schema and its docs.
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView  # noqa: E402
from rest_framework.routers import SimpleRouter  # noqa: E402

from . import api  # noqa: E402

_router = SimpleRouter()
_router.register("characters", api.CharacterViewSet, basename="api-character")
_router.register("sources", api.SourceViewSet, basename="api-source")
_router.register("conversations", api.ConversationViewSet, basename="api-conversation")
_router.register("lines", api.LineViewSet, basename="api-line")
_router.register("question-sets", api.QuestionSetViewSet, basename="api-question-set")
_router.register("questions", api.QuestionViewSet, basename="api-question")
_router.register("candidates", api.CandidateViewSet, basename="api-candidate")
_router.register("snapshots", api.SnapshotViewSet, basename="api-snapshot")
urlpatterns += [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path(
        "snapshots/<int:pk>/export/<str:fmt>/", api.SnapshotExportView.as_view(), name="api-snapshot-export"
    ),
    *_router.urls,
]
