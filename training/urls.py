"""Pages of the training stages under /training/, in the `training` namespace."""

from django.urls import include, path

app_name = "training"
urlpatterns = [
    path("", include("training.train.urls")),
    path("", include("training.generate.urls")),
    path("", include("training.playground.urls")),
    path("", include("training.compare.urls")),
]
