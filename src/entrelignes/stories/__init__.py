"""Stories: near-duplicates, incremental clustering, ranking, summaries and outlet contrast.

Pure functions over records, no database: the store and the pipeline persist the results.
"""

from .cluster import ClusterParams, StoryClusterer, StoryInput, cluster
from .dedup import NearDuplicateIndex
from .rank import RankedStory, rank_stories
from .summary import headline, outlet_contrast, outlets, quotes_by_speaker, summarize

__all__ = [
    "ClusterParams",
    "NearDuplicateIndex",
    "RankedStory",
    "StoryClusterer",
    "StoryInput",
    "cluster",
    "headline",
    "outlet_contrast",
    "outlets",
    "quotes_by_speaker",
    "rank_stories",
    "summarize",
]
