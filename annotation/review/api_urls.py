"""The review stage's API: question sets, questions, candidates, and the queue (claim, submit, undo)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from annotation.review.api import CandidateViewSet, QuestionSetViewSet, QuestionViewSet
from annotation.review.queue_api import (
    ClaimView,
    ItemView,
    ProgressView,
    ReleaseView,
    RenewView,
    SubmitView,
    UndoView,
)

router = SimpleRouter()
router.register("question-sets", QuestionSetViewSet, basename="api-question-set")
router.register("questions", QuestionViewSet, basename="api-question")
router.register("candidates", CandidateViewSet, basename="api-candidate")

urlpatterns = [
    path("review/claim/", ClaimView.as_view(), name="review-claim"),
    path("review/undo/", UndoView.as_view(), name="review-undo"),
    path("review/progress/", ProgressView.as_view(), name="review-progress"),
    path("review/<int:pk>/", ItemView.as_view(), name="review-item"),
    path("review/<int:pk>/submit/", SubmitView.as_view(), name="review-submit"),
    path("review/<int:pk>/renew/", RenewView.as_view(), name="review-renew"),
    path("review/<int:pk>/release/", ReleaseView.as_view(), name="review-release"),
    *router.urls,
]
