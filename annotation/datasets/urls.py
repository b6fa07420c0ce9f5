"""Snapshot pages, included under /corpus/snapshots/ from annotation/urls.py (namespace "annotation")."""

from django.urls import path

from annotation.datasets import views as snapshot_views

urlpatterns = [
    path("", snapshot_views.snapshot_list, name="snapshots"),
    path("create/", snapshot_views.snapshot_create, name="snapshot_create"),
    path("<int:pk>/", snapshot_views.snapshot_detail, name="snapshot"),
]
