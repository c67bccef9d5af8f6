"""Quotes without a language model: quotation marks plus reporting verbs, any language.

Used when no spaCy pipeline is installed for the article's language. It finds direct quotes
whose cue is a reporting verb next to the marks ("…," said Jane Doe / Jane Doe said: "…" /
« … », a déclaré X) and "according to X, …" / "selon X, …" paraphrases. Speakers are the
capitalised words next to the verb; "he"/"she"/"il"/"elle" go to the previous named speaker.
Short quoted fragments with no verb next to them are taken for scare quotes.
"""

from __future__ import annotations

import re

from entrelignes.analyze.lexicon import EN_SPEECH, OTHER_SPEECH, SPEECH_FORMS, fold
from entrelignes.analyze.quotes import RawQuote
from entrelignes.analyze.text import quote_spans, sentence_spans

_NAME = r"(?:[A-Z][\w'’\-\.]*(?:\s+(?:de|du|von|van|der|la|le|el|bin|al)?\s*[A-Z][\w'’\-]*){0,3})"
_PRON = {"he": "m", "she": "f", "il": "m", "elle": "f", "they": None, "ils": None}
_ORG_WORDS = re.compile(r"\b(?:ministry|police|government|office|agency|council|court|company|inc|corp|party|"
                        r"department|army|university|association|union|bank|commission|ministère|police|gouvernement)\b", re.I)
_WORD = re.compile(r"[\w'’\-]+")


def _is_speech(word: str) -> bool:
    w = fold(word).lstrip("-")
    return w in EN_SPEECH or w in OTHER_SPEECH or w in SPEECH_FORMS


def _typed(name: str | None) -> tuple[str | None, str]:
    if not name:
        return None, "none"
    if _ORG_WORDS.search(name):
        return name, "organization"
    return name, "person"


def fallback_quotes(text: str) -> list[RawQuote]:
    out: list[RawQuote] = []
    quotes = quote_spans(text)
    sents = sentence_spans(text, quotes)
    last_person: str | None = None

    def sent_end_of(pos: int) -> int:
        for s, e in sents:
            if s <= pos < e:
                return e
        return len(text)

    for q in quotes:
        inner = text[q.start : q.end]
        n_words = len(inner.split())
        after = text[q.close + 1 : q.close + 80]
        before = text[max(0, q.open - 80) : q.open]
        speaker = None
        cue = ""
        cue_span = (-1, -1)
        # "…," said Jane Doe / "…", Jane Doe said / « … », a déclaré X / affirme-t-il
        m = re.match(r"\s*[,]?\s*(?:(?:a|ont|has|had)\s+)?([\w\-]+)(?:-t)?(?:-(il|elle|ils|on))?\s+(" + _NAME + r"|he|she|they)?", after)
        m2 = re.match(r"\s*[,]?\s*(" + _NAME + r"|he|she|they)\s+([\w\-]+)", after)
        if m and _is_speech(m.group(1)):
            who = m.group(3) or m.group(2)
            cue = m.group(1)
            cue_span = (q.close + 1 + m.start(1), q.close + 1 + m.end(1))
            speaker = who
        elif m2 and _is_speech(m2.group(2)):
            speaker, cue = m2.group(1), m2.group(2)
            cue_span = (q.close + 1 + m2.start(2), q.close + 1 + m2.end(2))
        else:
            mb = re.search(r"(" + _NAME + r"|He|She|Il|Elle)\s+(?:(?:a|has|had)\s+)?([\w\-]+)\s*[:,]?\s*$", before)
            if mb and _is_speech(mb.group(2)):
                speaker, cue = mb.group(1), mb.group(2)
                off = q.open - len(before)
                cue_span = (off + mb.start(2), off + mb.end(2))
        if cue == "" or (n_words < 3 and not cue):
            continue
        if speaker and fold(speaker) in _PRON:
            speaker = last_person
        name, typ = _typed(speaker)
        if typ == "person":
            last_person = name
        out.append(RawQuote(q.start, q.end, "direct", name, typ, cue, None, *cue_span))
    # according to X, … / selon X, …
    for m in re.finditer(r"\b(According to|according to|Selon|selon|Según|según|Laut|laut)\s+(" + _NAME + r"|[a-z][\w\s'’\-]{2,40}?)\s*,\s*", text):
        start = m.end()
        end = sent_end_of(start)
        if end - start > 10 and not any(r.start <= start < r.end for r in out):
            name, typ = _typed(m.group(2).strip())
            if name and name[0].islower():
                typ = "anonymous"
            seg_end = end
            while seg_end > start and text[seg_end - 1] in " .":
                seg_end -= 1
            out.append(RawQuote(start, seg_end, "indirect", name, typ, m.group(1), None, m.start(), m.end()))
    out.sort(key=lambda r: r.start)
    return out
