from django.urls import path

from . import views

app_name = "annotation"
urlpatterns = [
    path("", views.source_list, name="sources"),
    path("import/", views.upload, name="upload"),
]
