from django.urls import path

from . import views

app_name = "annotation"
urlpatterns = [
    path("", views.source_list, name="sources"),
    path("import/", views.upload, name="upload"),
    path("sources/<int:pk>/", views.source_detail, name="source"),
    path("conversations/<int:pk>/", views.conversation_detail, name="conversation"),
]

# The review loop (helper "review"): review queue, dashboard, attribution, rounds.
from django.urls import include  # noqa: E402

urlpatterns += [path("", include("annotation.review_urls"))]

# Dataset snapshots (helper "api"): list, detail with the diff, create.
urlpatterns += [path("snapshots/", include("annotation.snapshot_urls"))]
