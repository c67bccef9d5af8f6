"""Extraction: an article page's main text and metadata, its language, its site boilerplate."""

from entrelignes.extract.article import ExtractionError, extract_page
from entrelignes.extract.language import detect_language

__all__ = ["ExtractionError", "detect_language", "extract_page"]
