"""Corpus pages: sources, the upload form, conversations."""

from django.urls import path

from annotation.corpus import views

urlpatterns = [
    path("", views.source_list, name="sources"),
    path("import/", views.upload, name="upload"),
    path("sources/<int:pk>/", views.source_detail, name="source"),
    path("conversations/<int:pk>/", views.conversation_detail, name="conversation"),
]
