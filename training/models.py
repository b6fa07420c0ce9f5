"""The training app's models, defined by stage: training jobs, model versions and the evaluation set, generation jobs."""

from training.generate.models import GenerationJob
from training.jobs.models import Job
from training.playground.models import PlaygroundTurn
from training.train.models import EvalConversation, EvalQuestion, EvalSource, ModelVersion, TrainingJob

__all__ = [
    "EvalConversation",
    "EvalQuestion",
    "EvalSource",
    "GenerationJob",
    "Job",
    "ModelVersion",
    "PlaygroundTurn",
    "TrainingJob",
]
