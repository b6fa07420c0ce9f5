"""The arena's pages under /arena/, in the `arena` namespace."""

from django.urls import path

from training.arena import views

app_name = "arena"
urlpatterns = [
    path("", views.arena, name="arena"),
    path("ratings/", views.ratings, name="ratings"),
    path("fill/", views.fill, name="fill"),
]
