"""Who may see and do what, for pages and the API alike: the one place the rules live.

Three roles, each granted by an admin (in the admin site, or `manage.py create_reviewer`):

- reviewer: a member of the Reviewers group (staff count as reviewers). Reviewers get what the review queue
  hands out (the queue, attribution with the line's scene), the dashboard, the rounds, the training and
  generation job pages and the model versions, read-only.
- exporter: the "Can export data sets" permission (`annotation.export_dataset`), or staff. Bulk reading of the
  corpus and the candidates needs it: the corpus and snapshot pages (every conversation, every correction),
  the list and detail endpoints of lines, conversations, candidates and snapshots, and the downloads.
- staff: `is_staff`. Staff change things (import, snapshots, jobs, versions), read tracebacks, and see
  everything.

Pages use the decorators (`reviewer_required`, `export_required`, `staff_page("Launching a job")`, ...):
anonymous users go to the login page, a user without the role gets the 403 page (templates/403.html) with the
PermissionDenied message, which says what needs which role and that an admin grants it.
The API uses the DRF permission classes below: 401 for anonymous callers, 403 with the same explanation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeAlias

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions
from rest_framework.request import Request

REVIEWERS = "Reviewers"
EXPORT_PERMISSION = "annotation.export_dataset"
EXPORT_PERMISSION_NAME = "Can export data sets"

View = Callable[..., HttpResponse]
Text: TypeAlias = str | Promise  # a sentence, translated when it is shown (in the language of the request)


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


@dataclass(frozen=True)
class Role:
    """One role: who has it, and the sentence a user without it reads (on the 403 page and in the API).

    `needs` is one whole translatable sentence around {what}: word order differs between languages."""

    name: str
    allowed: Callable[[Any], bool]
    needs: Text

    def refusal(self, what: Text) -> Text:
        # Lazy: the sentence is put together in the request's language when the 403 page or the API shows it.
        return format_lazy(
            self.needs, what=what, group=REVIEWERS, perm=EXPORT_PERMISSION, perm_name=EXPORT_PERMISSION_NAME
        )


REVIEWER = Role(
    "reviewer",
    is_reviewer,
    _("{what} needs the reviewer role: an admin grants it by adding you to the {group} group."),
)
EXPORTER = Role(
    "exporter",
    can_export,
    _(
        '{what} needs the "{perm_name}" permission ({perm}) or staff: '
        "an admin grants it to your user or to a group."
    ),
)
STAFF = Role(
    "staff", is_staff, _('{what} needs staff status: an admin grants it ("Staff status" on your user).')
)


def _page_rule(role: Role, what: Text) -> Callable[[View], View]:
    """A decorator: the login page for anonymous users, 403 with the role's refusal for users without it."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def check(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not role.allowed(request.user):
                raise PermissionDenied(role.refusal(what))
            return view(request, *args, **kwargs)

        return check

    return decorate


def reviewer_page(what: Text = _("This page")) -> Callable[[View], View]:
    return _page_rule(REVIEWER, what)


def export_page(what: Text = _("This page")) -> Callable[[View], View]:
    return _page_rule(EXPORTER, what)


def staff_page(what: Text = _("This page")) -> Callable[[View], View]:
    return _page_rule(STAFF, what)


reviewer_required = reviewer_page()
export_required = export_page(_("Browsing the corpus, the snapshots and the candidates"))
staff_required = staff_page(
    _("Changing things (importing, launching or controlling jobs, activating versions)")
)


# --- The API ----------------------------------------------------------------------------------


class _RolePermission(permissions.BasePermission):
    """Reads need `read_role`, writes need staff; the 403 says which role is missing."""

    read_role: Role = REVIEWER
    reading: Text = _("Reading this")
    message = REVIEWER.refusal(reading)

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            role, what = self.read_role, self.reading
        else:
            role, what = STAFF, _("Changing data")
        if role.allowed(request.user):
            return True
        self.message = role.refusal(what)  # DRF makes one permission object per request
        return False


class ReviewerReadStaffWrite(_RolePermission):
    """Reviewers and staff read; only staff change anything."""


class ExporterReadStaffWrite(_RolePermission):
    """Bulk reading (lines, conversations, candidates, snapshots) needs the export permission or staff;
    only staff change anything."""

    read_role = EXPORTER
    reading = _("Reading the corpus, the candidates and the snapshots")
    message = EXPORTER.refusal(reading)


class IsReviewer(permissions.BasePermission):
    message = REVIEWER.refusal(_("Reviewing"))

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_reviewer(request.user)


class CanExport(permissions.BasePermission):
    message = EXPORTER.refusal(_("Downloading a data set"))

    def has_permission(self, request: Request, view: Any) -> bool:
        return can_export(request.user)
