"""The training launch form: snapshot, base model, training parameters (the deployment's defaults)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from annotation.datasets.models import DatasetSnapshot
from marisa_site.formats import time_label
from training.train.launch import default_train_params


class SnapshotChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: DatasetSnapshot) -> str:
        return (
            f"#{obj.pk} {obj.sha256[:10]} · {obj.conversation_count} conversations, "
            f"{obj.correction_count} corrections · {time_label(obj.created_at)}"
        )


class TrainingLaunchForm(forms.Form):
    snapshot = SnapshotChoice(queryset=DatasetSnapshot.objects.all(), empty_label=None)
    base_model = forms.CharField(
        required=False,
        max_length=500,
        help_text="Hugging Face id or local path; empty = MARISA_BASE_MODEL, or the demo model.",
    )
    num_train_epochs = forms.FloatField(min_value=0.01, label="Epochs")
    max_steps = forms.IntegerField(
        required=False, min_value=1, help_text="Stop after this many optimizer steps (empty: whole epochs)."
    )
    learning_rate = forms.FloatField(min_value=1e-7, max_value=1.0)
    per_device_batch_size = forms.IntegerField(min_value=1, max_value=512, label="Batch size per device")
    gradient_accumulation_steps = forms.IntegerField(min_value=1, max_value=512)
    max_seq_length = forms.IntegerField(min_value=16, max_value=32768)
    lora_r = forms.IntegerField(min_value=1, max_value=1024, label="LoRA r")
    lora_alpha = forms.IntegerField(min_value=1, max_value=4096, label="LoRA alpha")
    save_steps = forms.IntegerField(min_value=1, help_text="Checkpoint every N steps (resume starts there).")
    load_in_4bit = forms.BooleanField(required=False, label="4-bit NF4 base model (QLoRA)")
    gradient_checkpointing = forms.BooleanField(required=False)
    activate_when_done = forms.BooleanField(required=False, label="Make the result the active version")

    PARAM_FIELDS = (
        "num_train_epochs",
        "learning_rate",
        "per_device_batch_size",
        "gradient_accumulation_steps",
        "max_seq_length",
        "lora_r",
        "lora_alpha",
        "save_steps",
        "load_in_4bit",
        "gradient_checkpointing",
        "activate_when_done",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        defaults = default_train_params()
        initial = {k: defaults[k] for k in self.PARAM_FIELDS if k in defaults}
        initial["base_model"] = settings.MARISA_BASE_MODEL
        initial.update(kwargs.pop("initial", None) or {})
        super().__init__(*args, initial=initial, **kwargs)

    def params(self) -> dict[str, Any]:
        data = self.cleaned_data
        params = {k: data[k] for k in self.PARAM_FIELDS}
        params["max_steps"] = data["max_steps"] or -1
        return params
