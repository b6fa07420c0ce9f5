"""The training app's models, defined by stage: training jobs and model versions, generation jobs."""

from training.generate.models import GenerationJob
from training.jobs.models import Job
from training.train.models import ModelVersion, TrainingJob

__all__ = ["GenerationJob", "Job", "ModelVersion", "TrainingJob"]
