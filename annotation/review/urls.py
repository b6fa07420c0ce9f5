"""Pages of the review loop, mounted under /corpus/ in the `annotation` namespace."""

from django.urls import path

from annotation.review import views as review_views

urlpatterns = [
    path("review/", review_views.review, name="review"),
    path("review/dashboard/", review_views.dashboard, name="review_dashboard"),
    path("attribution/", review_views.attribution_page, name="attribution"),
    path("attribution/<int:pk>/", review_views.attribution_assign, name="attribution_assign"),
]
