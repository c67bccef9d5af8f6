"""Reading between the lines: quotes and speakers, sourcing, entities, boilerplate.

Public API: `Analyzer` (see analyzer.py) and `AnalysisError` (bad input, one article).
"""

from entrelignes.analyze.analyzer import Analyzer
from entrelignes.analyze.text import AnalysisError

__all__ = ["AnalysisError", "Analyzer"]
