"""The staff form that fills the arena: two versions, a question set, how many questions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from annotation.review.models import QuestionSet
from training.generate.forms import VersionChoice
from training.train.models import ModelVersion


class ArenaFillForm(forms.Form):
    version_a = VersionChoice(queryset=ModelVersion.objects.all(), empty_label=None, label=_("Version"))
    version_b = VersionChoice(queryset=ModelVersion.objects.all(), empty_label=None, label=_("against"))
    question_set = forms.ModelChoiceField(
        queryset=QuestionSet.objects.all(), empty_label=None, label=_("Question set")
    )
    questions = forms.IntegerField(
        min_value=1,
        max_value=10000,
        required=False,
        label=_("Questions"),
        help_text=_("Drawn at random; empty = every question."),
    )
    seed = forms.IntegerField(min_value=0, max_value=2**31 - 1, required=False, label=_("Seed"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("version_a") and data.get("version_a") == data.get("version_b"):
            raise forms.ValidationError(_("Choose two different versions."))
        return data
