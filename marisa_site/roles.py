"""Who may see and do what, for pages and the API alike.

Reviewers are the members of the Reviewers group (staff count as reviewers); staff change things;
downloading a data set needs the export permission or staff.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework import permissions
from rest_framework.request import Request

REVIEWERS = "Reviewers"
EXPORT_PERMISSION = "annotation.export_dataset"

View = Callable[..., HttpResponse]


def reviewers_group() -> Any:
    """The Reviewers group, created on first use."""
    from django.contrib.auth.models import Group

    return Group.objects.get_or_create(name=REVIEWERS)[0]


def is_reviewer(user: Any) -> bool:
    if not (user and user.is_authenticated):
        return False
    return user.is_staff or user.is_superuser or user.groups.filter(name=REVIEWERS).exists()


def is_staff(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_staff)


def can_export(user: Any) -> bool:
    if not (user and user.is_authenticated):
        return False
    return user.is_staff or user.has_perm(EXPORT_PERMISSION)


def _page_rule(allowed: Callable[[Any], bool], refusal: str) -> Callable[[View], View]:
    """A decorator: the login page for anonymous users, 403 with `refusal` for users without the role."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def check(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not allowed(request.user):
                raise PermissionDenied(refusal)
            return view(request, *args, **kwargs)

        return check

    return decorate


reviewer_required = _page_rule(is_reviewer, "only reviewers (the Reviewers group) can do this")
staff_required = _page_rule(is_staff, "Only staff can launch or control jobs.")


class ReviewerReadStaffWrite(permissions.BasePermission):
    """Reviewers and staff read; only staff change anything."""

    message = "reviewers may read, only staff may change data"

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return is_reviewer(request.user)
        return is_staff(request.user)


class IsReviewer(permissions.BasePermission):
    message = "only reviewers (the Reviewers group) can review"

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_reviewer(request.user)


class CanExport(permissions.BasePermission):
    message = f"downloading the data set needs the export permission ({EXPORT_PERMISSION}) or staff"

    def has_permission(self, request: Request, view: Any) -> bool:
        return can_export(request.user)
