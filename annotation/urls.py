"""Pages of the annotation stages under /corpus/, in the `annotation` namespace."""

from django.urls import include, path

from marisa_site.rounds import rounds

app_name = "annotation"
urlpatterns = [
    path("", include("annotation.corpus.urls")),
    path("", include("annotation.review.urls")),
    path("rounds/", rounds, name="rounds"),  # the whole loop: it reads every stage
    path("snapshots/", include("annotation.datasets.urls")),
]
