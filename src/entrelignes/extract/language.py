"""Language identification with lingua, restricted to the languages news desks meet most.

Restricting the candidate set keeps the detector small in memory and fast; an article in
another language gets "" (unknown) rather than a wrong guess.
"""

from __future__ import annotations

from functools import lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

LANGUAGES = (
    Language.FRENCH, Language.ENGLISH, Language.GERMAN, Language.SPANISH, Language.ITALIAN,
    Language.PORTUGUESE, Language.DUTCH, Language.ARABIC, Language.RUSSIAN, Language.UKRAINIAN,
)


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*LANGUAGES).with_minimum_relative_distance(0.1).build()


def detect_language(text: str, sample: int = 2000) -> str:
    """ISO 639-1 code of `text`'s language, or "" when unsure. Reads the first `sample` characters."""
    snippet = text[:sample].strip()
    if len(snippet) < 20:
        return ""
    language = _detector().detect_language_of(snippet)
    return language.iso_code_639_1.name.lower() if language else ""
