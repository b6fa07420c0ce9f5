"""The arena's API under /api/arena/: claim, vote, renew, release, progress, ratings."""

from django.urls import path

from annotation.review.arena_api import (
    ArenaClaimView,
    ArenaProgressView,
    ArenaRatingsView,
    ArenaReleaseView,
    ArenaRenewView,
    ArenaVoteView,
)

urlpatterns = [
    path("arena/claim/", ArenaClaimView.as_view(), name="arena-claim"),
    path("arena/progress/", ArenaProgressView.as_view(), name="arena-progress"),
    path("arena/ratings/", ArenaRatingsView.as_view(), name="arena-ratings"),
    path("arena/<int:pk>/vote/", ArenaVoteView.as_view(), name="arena-vote"),
    path("arena/<int:pk>/renew/", ArenaRenewView.as_view(), name="arena-renew"),
    path("arena/<int:pk>/release/", ArenaReleaseView.as_view(), name="arena-release"),
]
