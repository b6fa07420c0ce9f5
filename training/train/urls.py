"""Training pages: jobs, launching, model versions."""

from django.urls import path

from training.train import export_views, views

urlpatterns = [
    path("new/", views.launch, name="launch"),
    path("snapshot/", views.create_snapshot, name="create_snapshot"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("jobs/<int:pk>/cancel/", views.job_cancel, name="job_cancel"),
    path("jobs/<int:pk>/resume/", views.job_resume, name="job_resume"),
    path("eval-set/", views.eval_set, name="eval_set"),
    path("questions/from-corpus/", views.seed_questions, name="seed_questions"),
    path("versions/", views.versions, name="versions"),
    path("versions/<int:pk>/activate/", views.version_activate, name="version_activate"),
    path("versions/<int:pk>/export/", export_views.version_export, name="version_export"),
]
