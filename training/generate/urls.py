"""Generation pages: the job list of both stages, launching a generation job, its progress, cancel, resume."""

from django.urls import path

from training.generate import views

urlpatterns = [
    path("", views.job_list, name="jobs"),
    path("generate/", views.generation_launch, name="generation_launch"),
    path("generate/<int:pk>/", views.generation_detail, name="generation"),
    path("generate/<int:pk>/progress/", views.generation_progress, name="generation_progress"),
    path("generate/<int:pk>/cancel/", views.generation_cancel, name="generation_cancel"),
    path("generate/<int:pk>/resume/", views.generation_resume, name="generation_resume"),
]
