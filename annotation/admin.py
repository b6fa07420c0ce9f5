"""Admin for the corpus, questions, candidates, their review log and skips, and dataset snapshots.

Tables here can hold a million rows: foreign keys are raw ids and list pages skip the full count.
"""

from __future__ import annotations

from django.contrib import admin

from annotation.corpus.models import Character, Conversation, Line, Source
from annotation.datasets.models import DatasetSnapshot
from annotation.review.models import Candidate, CandidateSkip, Question, QuestionSet, ReviewAction


class BigTable(admin.ModelAdmin):
    show_full_result_count = False
    list_per_page = 50


@admin.register(Character)
class CharacterAdmin(admin.ModelAdmin):
    list_display = ["name", "prompt_name", "is_default"]
    # The markers are edited with the guidelines: the evaluation counts replies with each.
    fields = [
        "name",
        "prompt_name",
        "aliases",
        "guidelines",
        "style_markers",
        "forbidden_markers",
        "is_default",
    ]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "encoding", "conversation_count", "line_count", "imported_at"]
    list_filter = ["kind"]
    search_fields = ["title", "original_name"]
    readonly_fields = ["sha256", "size_bytes", "imported_at"]


@admin.register(Conversation)
class ConversationAdmin(BigTable):
    list_display = ["__str__", "source", "position"]
    raw_id_fields = ["source"]


@admin.register(Line)
class LineAdmin(BigTable):
    list_display = ["id", "speaker", "text", "speaker_by", "conversation"]
    list_filter = ["speaker_by"]
    search_fields = ["speaker", "text"]
    raw_id_fields = ["conversation", "lease_owner"]


@admin.register(QuestionSet)
class QuestionSetAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]


@admin.register(Question)
class QuestionAdmin(BigTable):
    list_display = ["id", "text", "question_set", "position"]
    list_filter = ["question_set"]
    search_fields = ["text"]


class ReviewActionInline(admin.TabularInline):
    model = ReviewAction
    extra = 0
    can_delete = False
    fields = [
        "created_at",
        "user",
        "action",
        "status_before",
        "status_after",
        "text_after",
        "reason",
        "undone",
    ]
    readonly_fields = fields


@admin.register(Candidate)
class CandidateAdmin(BigTable):
    list_display = ["id", "text", "status", "final_text", "decided_by", "model_name", "version"]
    list_filter = ["status"]
    search_fields = ["text", "final_text"]
    raw_id_fields = ["question", "model_version", "generation_job", "lease_owner", "decided_by"]
    readonly_fields = ["version", "created_at"]
    inlines = [ReviewActionInline]


@admin.register(ReviewAction)
class ReviewActionAdmin(BigTable):
    list_display = ["created_at", "user", "action", "candidate", "status_before", "status_after", "undone"]
    list_filter = ["action", "undone"]
    raw_id_fields = ["candidate", "user"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the log is history: never edited


@admin.register(CandidateSkip)
class CandidateSkipAdmin(BigTable):
    list_display = ["candidate", "user", "created_at"]
    raw_id_fields = ["candidate", "user"]


@admin.register(DatasetSnapshot)
class DatasetSnapshotAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "character",
        "conversation_count",
        "line_count",
        "correction_count",
        "created_at",
    ]
    readonly_fields = ["sha256", "path", "created_at"]

    # Snapshots are immutable: made by the Snapshots page or POST /api/snapshots/, never edited.
    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False
