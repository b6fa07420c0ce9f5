"""The arena's figures for other pages (the comparison page): one call, plain data.

The numbers are computed beside the votes, in the review stage (annotation.review.arena_stats), so a page
of any stage above it gets the same ones; this is the name the training pages import.
"""

from annotation.review.arena_stats import arena_summary, export_counts

__all__ = ["arena_summary", "export_counts"]
