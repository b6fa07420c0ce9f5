"""DRF's browsable API (the HTML view of /api/... in a browser) under the site's Content-Security-Policy."""

from __future__ import annotations

from typing import Any

from rest_framework import renderers


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """Without its one inline <style> (pygments' colours for the response body), which the policy blocks."""

    def get_context(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(*args, **kwargs)
        context["code_style"] = None
        return context
