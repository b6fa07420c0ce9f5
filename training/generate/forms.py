"""The generation launch form: a model version, a question set, and the sampling settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from annotation.review.models import QuestionSet
from training.generate.run import DEFAULT_BATCH_SIZE, SAMPLING_DEFAULTS
from training.train.models import ModelVersion


class VersionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: ModelVersion) -> str:
        return f"{obj.name} ({gettext('active')})" if obj.is_active else obj.name


class GenerationLaunchForm(forms.Form):
    model_version = VersionChoice(
        queryset=ModelVersion.objects.all(), empty_label=None, label=_("Model version")
    )
    question_set = forms.ModelChoiceField(
        queryset=QuestionSet.objects.all(), empty_label=None, label=_("Question set")
    )
    only_unanswered = forms.BooleanField(
        required=False,
        label=_("Only unanswered"),
        help_text=_("Only questions without an undecided or accepted candidate."),
    )
    n = forms.IntegerField(min_value=1, max_value=16, initial=2, label=_("Candidates per question"))
    batch_size = forms.IntegerField(
        min_value=1, max_value=512, initial=DEFAULT_BATCH_SIZE, label=_("Batch size")
    )
    # The sampling settings keep their library names (as on the playground): they are what the docs say.
    temperature = forms.FloatField(
        min_value=0.0, max_value=5.0, initial=SAMPLING_DEFAULTS["temperature"], label="temperature"
    )
    top_p = forms.FloatField(min_value=0.0, max_value=1.0, initial=SAMPLING_DEFAULTS["top_p"], label="top_p")
    top_k = forms.IntegerField(min_value=0, max_value=1000, initial=SAMPLING_DEFAULTS["top_k"], label="top_k")
    no_repeat_ngram_size = forms.IntegerField(
        min_value=0,
        max_value=20,
        initial=SAMPLING_DEFAULTS["no_repeat_ngram_size"],
        label="no_repeat_ngram_size",
    )
    repetition_penalty = forms.FloatField(
        min_value=1.0,
        max_value=3.0,
        initial=SAMPLING_DEFAULTS["repetition_penalty"],
        label="repetition_penalty",
    )
    max_new_tokens = forms.IntegerField(
        min_value=1, max_value=1024, initial=SAMPLING_DEFAULTS["max_new_tokens"], label="max_new_tokens"
    )

    SAMPLING_FIELDS = (
        "temperature",
        "top_p",
        "top_k",
        "no_repeat_ngram_size",
        "repetition_penalty",
        "max_new_tokens",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        active = ModelVersion.active()
        if active and "model_version" not in self.initial:
            self.initial["model_version"] = active.pk

    def sampling(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in self.SAMPLING_FIELDS}
