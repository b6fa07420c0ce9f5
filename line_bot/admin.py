"""Admin: usage by month and by user (limits editable), messages, events, and LINE's own quota."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from line_bot import quota
from line_bot.models import Chat, LineUser, Message, MonthlyUsage, UserMonthlyUsage, WebhookEvent


@admin.register(MonthlyUsage)
class MonthlyUsageAdmin(admin.ModelAdmin):
    list_display = [
        "month",
        "used",
        "limit",
        "user_limit",
        "remaining",
        "closed_replies",
        "replies",
        "pushes",
    ]
    list_editable = ["limit", "user_limit"]
    readonly_fields = ["used", "closed_replies"]
    change_list_template = "line_bot/admin_usage_changelist.html"

    @admin.display(description="sent by reply (free)")
    def replies(self, obj: MonthlyUsage) -> int:
        return quota.deliveries(obj.month)["reply"]

    @admin.display(description="sent by push (counted by LINE)")
    def pushes(self, obj: MonthlyUsage) -> int:
        return quota.deliveries(obj.month)["push"]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        quota.month_row(quota.month_key())  # this month is always listed, ready to edit
        return super().changelist_view(request, extra_context)

    def get_urls(self) -> list:
        extra = [
            path("line-quota/", self.admin_site.admin_view(self.line_quota_view), name="line_bot_line_quota"),
        ]
        return extra + super().get_urls()

    def line_quota_view(self, request: HttpRequest) -> HttpResponse:
        """LINE's message allowance and consumption this month, read through the SDK."""
        from line_bot import line_api

        context = {
            **self.admin_site.each_context(request),
            "title": "LINE message quota",
            "opts": self.model._meta,
        }
        try:
            context["line"] = line_api.line_quota()
        except Exception as exc:  # shown on the page: a wrong token or no network is the admin's to fix
            context["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        context["ours"] = quota.usage_report()
        return render(request, "line_bot/admin_line_quota.html", context)


@admin.register(UserMonthlyUsage)
class UserMonthlyUsageAdmin(admin.ModelAdmin):
    list_display = ["month", "line_user", "used"]
    list_filter = ["month"]
    search_fields = ["line_user__line_id", "line_user__display_name"]
    readonly_fields = ["month", "line_user", "used"]


@admin.register(LineUser)
class LineUserAdmin(admin.ModelAdmin):
    list_display = ["line_id", "display_name", "is_following", "followed_at", "unfollowed_at", "created_at"]
    list_filter = ["is_following"]
    search_fields = ["line_id", "display_name"]


@admin.register(Chat)
class ChatAdmin(admin.ModelAdmin):
    list_display = ["line_id", "kind", "history_reset_at", "created_at"]
    list_filter = ["kind"]
    search_fields = ["line_id"]
    actions = ["reset_history"]

    @admin.action(description="Forget the conversation (reset the memory)")
    def reset_history(self, request: HttpRequest, queryset) -> None:
        count = queryset.update(history_reset_at=timezone.now())
        self.message_user(request, f"{count} chat(s) reset.", messages.SUCCESS)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "chat",
        "direction",
        "kind",
        "status",
        "delivery",
        "short_text",
        "generation_seconds",
    ]
    list_filter = ["direction", "kind", "status", "delivery"]
    search_fields = ["text", "chat__line_id"]
    raw_id_fields = ["chat", "sender", "event", "in_reply_to"]
    date_hierarchy = "created_at"

    @admin.display(description="text")
    def short_text(self, obj: Message) -> str:
        return obj.text[:60]


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "event_type", "source_type", "source_id", "outcome", "is_redelivery"]
    list_filter = ["event_type", "outcome", "is_redelivery"]
    search_fields = ["webhook_event_id", "source_id"]

    def has_change_permission(self, request: HttpRequest, obj: WebhookEvent | None = None) -> bool:
        return False
