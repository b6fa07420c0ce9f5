from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language

from marisa_site import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The top bar's language switch (remembered in Django's language cookie) and the scripts' catalogue,
    # loaded as a script src so the Content-Security-Policy needs no inline script.
    path("i18n/setlang/", set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("corpus/", include("annotation.urls")),
    path("training/", include("training.urls")),
    path("arena/", include("training.arena.urls")),
    path("line/", include("line_bot.urls")),
    path("api/", include("marisa_site.api_urls")),
]
