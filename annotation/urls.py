from django.urls import path

from . import views

app_name = "annotation"
urlpatterns = [
    path("", views.source_list, name="sources"),
    path("import/", views.upload, name="upload"),
]

# The review loop (helper "review"): review queue, dashboard, attribution, rounds.
from django.urls import include  # noqa: E402

urlpatterns += [path("", include("annotation.review_urls"))]
