"""The training app's models, defined by stage: training jobs, model versions and the evaluation set, generation jobs."""

from training.generate.models import GenerationJob
from training.jobs.models import Job
from training.train.models import EvalConversation, EvalSource, ModelVersion, TrainingJob

__all__ = ["EvalConversation", "EvalSource", "GenerationJob", "Job", "ModelVersion", "TrainingJob"]
