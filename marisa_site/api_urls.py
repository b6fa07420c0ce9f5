"""The REST API: each stage contributes its routes from its own `api_urls` module; the schema and its docs.

The docs pages satisfy the site's Content-Security-Policy and load nothing from a CDN (templates/api_docs/).
Swagger UI is drf-spectacular's "split" view: its start script is a second request, not an inline script, and
its page's one <style> carries the request's nonce. Redoc starts from a static script; it injects <style>
elements as it loads, before any nonce can reach it, so its page alone allows inline styles (scripts stay
'self' only).
"""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api_docs/swagger_ui.html"),
        name="api-docs",
    ),
    path(
        "redoc/",
        csp_replace({"style-src": [SELF, UNSAFE_INLINE]})(
            SpectacularRedocView.as_view(url_name="api-schema", template_name="api_docs/redoc.html")
        ),
        name="api-redoc",
    ),
    path("", include("annotation.corpus.api_urls")),
    path("", include("annotation.review.api_urls")),
    path("", include("annotation.review.arena_urls")),
    path("", include("annotation.datasets.api_urls")),
    path("", include("training.train.api_urls")),
    path("", include("training.generate.api_urls")),
]
