from django.urls import path

from . import views

app_name = "training"
urlpatterns = [
    path("", views.job_list, name="jobs"),
    path("new/", views.launch, name="launch"),
    path("snapshot/", views.create_snapshot, name="create_snapshot"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("jobs/<int:pk>/cancel/", views.job_cancel, name="job_cancel"),
    path("jobs/<int:pk>/resume/", views.job_resume, name="job_resume"),
    path("versions/", views.versions, name="versions"),
    path("versions/<int:pk>/activate/", views.version_activate, name="version_activate"),
    path("generate/", views.generation_launch, name="generation_launch"),
    path("generate/<int:pk>/", views.generation_detail, name="generation"),
    path("generate/<int:pk>/progress/", views.generation_progress, name="generation_progress"),
    path("generate/<int:pk>/cancel/", views.generation_cancel, name="generation_cancel"),
    path("generate/<int:pk>/resume/", views.generation_resume, name="generation_resume"),
]
