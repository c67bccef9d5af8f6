"""Cheap language identification for the analysis stage.

One lingua detector per process (module-level cache), restricted to the languages a news desk
meets most, in low-accuracy mode (n-grams up to trigrams: ample for article-length text), on
the first 600 characters. Its models are loaded on first use; `warm_up()` loads them before
worker processes are forked so that they share them.
"""

from __future__ import annotations

from functools import lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

LANGUAGES = (Language.FRENCH, Language.ENGLISH, Language.GERMAN, Language.SPANISH, Language.ITALIAN,
             Language.PORTUGUESE, Language.DUTCH)
SAMPLE = 600


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    return (LanguageDetectorBuilder.from_languages(*LANGUAGES).with_low_accuracy_mode()
            .with_minimum_relative_distance(0.05).build())


def detect(text: str) -> str:
    """ISO 639-1 code of the text's language, or "" when unsure or too short."""
    sample = text[:SAMPLE].strip()
    if len(sample) < 20:
        return ""
    lang = _detector().detect_language_of(sample)
    return lang.iso_code_639_1.name.lower() if lang else ""


def warm_up() -> None:
    detect("Le gouvernement a annoncé mardi une réforme. The government announced a reform on Tuesday.")
