from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Source


@login_required
def source_list(request: HttpRequest) -> HttpResponse:
    return render(request, "annotation/source_list.html", {"sources": Source.objects.all()})


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    return render(request, "annotation/upload.html", {})
