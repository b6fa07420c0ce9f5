from django.urls import path  # noqa: F401

app_name = "line_bot"
urlpatterns: list = []
