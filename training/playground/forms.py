"""The playground's form: which versions answer, the message, and the sampling settings, all visible."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from training.train.models import ModelVersion

MAX_MESSAGE_CHARS = 2000
BASE = "base"


def version_choices() -> list[tuple[str, str]]:
    versions = ModelVersion.objects.order_by("-pk").values_list("pk", "name", "is_active")
    choices = [
        (str(pk), f"{name} ({gettext('active')})" if active else name) for pk, name, active in versions
    ]
    return choices + [(BASE, gettext("base model (no adapter)"))]


class PlaygroundForm(forms.Form):
    conversation = forms.UUIDField(widget=forms.HiddenInput)
    version_a = forms.ChoiceField(label=_("Version"))
    version_b = forms.ChoiceField(label=_("Side by side with"), required=False)
    message = forms.CharField(
        max_length=MAX_MESSAGE_CHARS,
        strip=False,  # a full-width space is part of the message
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": _("Talk to Marisa… (Enter: send, Shift+Enter: new line)")}
        ),
        error_messages={
            "max_length": format_lazy(_("A message is at most {n} characters."), n=MAX_MESSAGE_CHARS)
        },
    )
    temperature = forms.FloatField(min_value=0.01, max_value=2.0, initial=0.1)
    top_p = forms.FloatField(min_value=0.01, max_value=1.0, initial=0.9)
    top_k = forms.IntegerField(min_value=0, max_value=1000, initial=20)
    repetition_penalty = forms.FloatField(min_value=1.0, max_value=2.0, initial=1.05)
    no_repeat_ngram_size = forms.IntegerField(min_value=0, max_value=10, initial=2)
    max_new_tokens = forms.IntegerField(min_value=1, max_value=512, initial=64)
    do_sample = forms.BooleanField(required=False, initial=True, label=_("sample (off: greedy)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = version_choices()
        self.fields["version_a"].choices = choices
        self.fields["version_b"].choices = [("", gettext("— one version only —")), *choices]

    def clean_message(self) -> str:
        message = self.cleaned_data["message"]
        if not message.strip():
            raise forms.ValidationError(_("Write a message first."))
        return message

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        sides: list[tuple[str, ModelVersion | None]] = []
        for side, field in (("a", "version_a"), ("b", "version_b")):
            value = data.get(field)
            if not value:
                continue
            version = None if value == BASE else ModelVersion.objects.filter(pk=int(value)).first()
            if value != BASE and version is None:
                self.add_error(field, _("That version no longer exists."))
            sides.append((side, version))
        data["sides"] = sides
        return data

    def versions(self) -> list[tuple[str, ModelVersion | None]]:
        """(side, version) for each side asked for; None is the base model."""
        return list(self.cleaned_data["sides"])

    def sampling(self) -> dict[str, Any]:
        names = [
            "temperature",
            "top_p",
            "top_k",
            "repetition_penalty",
            "no_repeat_ngram_size",
            "max_new_tokens",
        ]
        return {**{n: self.cleaned_data[n] for n in names}, "do_sample": bool(self.cleaned_data["do_sample"])}
