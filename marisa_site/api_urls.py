"""The REST API: each app contributes its routes from its own `api_urls` module."""

from django.urls import include, path

urlpatterns = [
    path("", include("annotation.api_urls")),
]
