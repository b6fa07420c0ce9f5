"""Playground pages, included under /training/playground/ (namespace "training")."""

from django.urls import path

from training.playground import views

urlpatterns = [
    path("playground/", views.playground, name="playground"),
    path("playground/send/", views.send, name="playground_send"),
    path("playground/turns/<int:pk>/", views.turn, name="playground_turn"),
]
