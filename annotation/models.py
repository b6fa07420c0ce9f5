"""The annotation app's models, defined by stage: the corpus, the review loop, the data sets."""

from annotation.corpus.models import Character, Conversation, Line, Source
from annotation.datasets.models import DatasetSnapshot
from annotation.review.arena_models import ArenaMatch
from annotation.review.models import Candidate, CandidateSkip, LineSkip, Question, QuestionSet, ReviewAction

__all__ = [
    "ArenaMatch",
    "Candidate",
    "CandidateSkip",
    "Character",
    "Conversation",
    "DatasetSnapshot",
    "Line",
    "LineSkip",
    "Question",
    "QuestionSet",
    "ReviewAction",
    "Source",
]
