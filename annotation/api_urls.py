from django.urls import path  # noqa: F401

urlpatterns: list = []

# The review queue (helper "review"): claim / submit / renew / release / undo / progress.
from django.urls import include  # noqa: E402

urlpatterns += [path("", include("annotation.review_api"))]
