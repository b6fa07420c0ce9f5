"""The comparison page, included under /training/compare/ (namespace "training")."""

from django.urls import path

from training.compare import views

urlpatterns = [path("compare/", views.compare, name="compare")]
