"""The training launch form: snapshot, base model, training parameters (the deployment's defaults)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from annotation.datasets.models import DatasetSnapshot
from marisa_site.formats import time_label
from training.train.launch import default_parent, default_train_params
from training.train.models import STAGE_CHOICES, ModelVersion


class SnapshotChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: DatasetSnapshot) -> str:
        counts = gettext("%(conversations)s conversations, %(corrections)s corrections") % {
            "conversations": obj.conversation_count,
            "corrections": obj.correction_count,
        }
        return f"#{obj.pk} {obj.sha256[:10]} · {counts} · {time_label(obj.created_at)}"


class VersionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: ModelVersion) -> str:
        active = ", " + gettext("active") if obj.is_active else ""
        return f"{obj.name} ({obj.get_stage_display()}{active})"


class TrainingLaunchForm(forms.Form):
    snapshot = SnapshotChoice(queryset=DatasetSnapshot.objects.all(), empty_label=None, label=_("Snapshot"))
    stage = forms.ChoiceField(
        choices=STAGE_CHOICES,
        initial="sft",
        label=_("Stage"),
        help_text=_(
            "DPO learns from pairs (an edit, a rejected reply beside an accepted one, an arena vote); "
            "KTO from accepted / rejected replies. Both continue a version."
        ),
    )
    from_version = VersionChoice(
        queryset=ModelVersion.objects.all(),
        required=False,
        empty_label=_("— a fresh LoRA adapter (SFT only) —"),
        label=_("Continue from"),
        help_text=_("Its adapter is loaded and trained further (its LoRA r and alpha are kept)."),
    )
    base_model = forms.CharField(
        required=False,
        max_length=500,
        label=_("Base model"),
        help_text=_("Hugging Face id or local path; empty = MARISA_BASE_MODEL, or the demo model."),
    )
    num_train_epochs = forms.FloatField(min_value=0.01, label=_("Epochs"))
    max_steps = forms.IntegerField(
        required=False,
        min_value=1,
        label=_("Max steps"),
        help_text=_("Stop after this many optimizer steps (empty: whole epochs)."),
    )
    learning_rate = forms.FloatField(min_value=1e-7, max_value=1.0, label=_("Learning rate"))
    per_device_batch_size = forms.IntegerField(min_value=1, max_value=512, label=_("Batch size per device"))
    gradient_accumulation_steps = forms.IntegerField(
        min_value=1, max_value=512, label=_("Gradient accumulation steps")
    )
    max_seq_length = forms.IntegerField(min_value=16, max_value=32768, label=_("Max sequence length"))
    lora_r = forms.IntegerField(min_value=1, max_value=1024, label="LoRA r")
    lora_alpha = forms.IntegerField(min_value=1, max_value=4096, label="LoRA alpha")
    save_steps = forms.IntegerField(
        min_value=1, label=_("Save steps"), help_text=_("Checkpoint every N steps (resume starts there).")
    )
    load_in_4bit = forms.BooleanField(required=False, label=_("4-bit NF4 base model (QLoRA)"))
    gradient_checkpointing = forms.BooleanField(required=False, label=_("Gradient checkpointing"))
    activate_when_done = forms.BooleanField(required=False, label=_("Make the result the active version"))
    beta = forms.FloatField(
        min_value=0.001,
        max_value=10.0,
        label="DPO/KTO beta",
        help_text=_("How far a preference stage may move."),
    )

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
        "beta",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        defaults = default_train_params()
        initial = {k: defaults[k] for k in self.PARAM_FIELDS if k in defaults}
        initial["base_model"] = settings.MARISA_BASE_MODEL
        parent = default_parent(settings.MARISA_BASE_MODEL)
        initial["from_version"] = parent.pk if parent else None
        initial.update(kwargs.pop("initial", None) or {})
        super().__init__(*args, initial=initial, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("stage") in ("dpo", "kto") and not data.get("from_version"):
            self.add_error("from_version", _("A DPO or KTO stage continues a model version: choose one."))
        return data

    def params(self) -> dict[str, Any]:
        data = self.cleaned_data
        params = {k: data[k] for k in self.PARAM_FIELDS}
        params["max_steps"] = data["max_steps"] or -1
        stage = data.get("stage") or "sft"
        if stage != "sft":
            # Left at the SFT default, the step size and length take the preference stage's own defaults.
            parent = data.get("from_version")
            base = data.get("base_model") or (parent.base_model if parent else None)
            sft, own = default_train_params("sft", base), default_train_params(stage, base)
            for key in ("learning_rate", "num_train_epochs"):
                if params[key] == sft[key]:
                    params[key] = own[key]
        return params
