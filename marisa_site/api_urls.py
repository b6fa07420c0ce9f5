"""The REST API: each stage contributes its routes from its own `api_urls` module; the schema and its docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include("annotation.corpus.api_urls")),
    path("", include("annotation.review.api_urls")),
    path("", include("annotation.datasets.api_urls")),
    path("", include("training.train.api_urls")),
    path("", include("training.generate.api_urls")),
]
