"""Attributions (on what each claim rests) and the per-article sourcing shares.

Every quote gives one attribution: its kind is the speaker type (person, organization,
anonymous; a quote with no speaker is `unsourced`), its text the attribution phrase as written
("a déclaré le président syrien Bachar el-Assad", "Selon une source militaire contactée par
Sputnik"). On top of that:
- `outlet`: the outlet itself is the source — "selon nos informations", "a-t-on appris",
  "contacté(e) par <the outlet>" when the outlet's name is known (from its boilerplate,
  e.g. "Suivez Sputnik sur Telegram");
- `unsourced`: agentless reporting — "il a été annoncé que", "on apprend que", "il est
  rapporté que" — when no quote already covers it.

Sourcing shares: for each kind, the number of sentences of the cleaned text that overlap a
quote's content or an attribution phrase of that kind, divided by the number of sentences
of the cleaned text (the title excluded; a sentence is a span from `text.sentence_spans`).
A sentence may rest on several kinds, so shares need not sum to 1; `unattributed` is the
share of sentences resting on none.
"""

from __future__ import annotations

import re

from entrelignes.analyze.lexicon import OUTLET_PHRASES, fold
from entrelignes.records import Attribution, Quote

KINDS = ("person", "organization", "anonymous", "outlet", "unsourced")

_UNSOURCED = re.compile(
    r"\b(?:il\s+(?:a\s+été|avait\s+été|est|était|aurait\s+été|sera)\s+(?:annoncé|rapporté|indiqué|précisé|"
    r"affirmé|déclaré|confirmé|signalé|dit|révélé|rapporté|question)|on\s+(?:apprend|apprenait|"
    r"a\s+appris|dit|affirme|rapporte|annonce|indique|estime|évoque|soupçonne)|"
    r"(?:il\s+)?semblerait|it\s+(?:was|has\s+been|is)\s+(?:announced|reported|said|claimed))\b",
    re.IGNORECASE,
)
_SOURCE_NOUN = r"(?:une?|des|plusieurs|deux|trois)\s+(?:source|sources|témoin|témoins|responsable|responsables|habitant|habitants|proche|proches|diplomate|diplomates|officiel|officiels|expert|experts)\b[^,.;:«]{0,60}"
_ANON = re.compile(_SOURCE_NOUN, re.IGNORECASE)
_CONTACTED = re.compile(r"\b(?:contacté|contactée|contactés|contactées|interrogé|interrogée|interrogés|interrogées|"
                        r"cité|citée|cités|citées|joint|jointe|joints)\s+par\s+([A-Z][\w\-]*(?:\s+[A-Z][\w\-]*){0,3})"
                        r"|\b(?:a|ont)\s+(?:confié|déclaré|indiqué|affirmé|expliqué|précisé|raconté)\s+à\s+([A-Z][\w\-]*(?:\s+[A-Z][\w\-]*){0,3})")


_OUTLET = re.compile("|".join(re.escape(p) for p in sorted(set(OUTLET_PHRASES), key=len, reverse=True)))


class _KeepLengthFold(dict):
    """str.translate table, filled on first sight of a character: lowercase without accents,
    one character for one (a character that would fold to several stays as it is)."""

    def __missing__(self, code: int) -> str:
        c = chr(code)
        folded, lower = fold(c), c.lower()
        self[code] = out = folded if len(folded) == 1 else lower if len(lower) == 1 else c
        return out


_FOLD_TABLE = _KeepLengthFold()


def _fold_keep_length(text: str) -> str:
    """Lowercase, accents off, one character for one (so offsets stay valid)."""
    return text.translate(_FOLD_TABLE)


def outlet_names(boilerplate: list[str]) -> set[str]:
    """Outlet names that a source's boilerplate gives away ("Suivez Sputnik sur Telegram")."""
    names: set[str] = set()
    for p in boilerplate:
        for m in re.finditer(r"(?:Suivez|Rejoignez|Retrouvez|Follow)\s+([A-Z][\w\-]*(?:\s+[A-Z][\w\-]*){0,2})\s+(?:sur|on)\b", p):
            names.add(m.group(1))
    return names


def attributions(text: str, quotes: list[Quote], quote_cues: list[tuple[int, int]],
                 outlets: set[str]) -> list[Attribution]:
    out: list[Attribution] = []
    seen: set[tuple[int, int]] = set()
    for q, (cs, ce) in zip(quotes, quote_cues):
        kind = q.speaker_type if q.speaker_type in ("person", "organization", "anonymous") else "unsourced"
        if cs < 0:
            cs, ce = q.start, q.end
        phrase = text[cs:ce]
        key = (cs, ce)
        if key in seen:
            continue
        seen.add(key)
        if q.speaker is None and _OUTLET.search(_fold_keep_length(phrase)):
            kind = "outlet"  # "selon nos informations": the outlet vouches for it
        out.append(Attribution(kind, phrase, cs, ce, q.speaker))
        # an unnamed source "contactée par <outlet>": the outlet vouches for it too
        for m in _CONTACTED.finditer(phrase):
            name = m.group(1) or m.group(2)
            if name and any(fold(name).startswith(fold(o)) for o in outlets):
                out.append(Attribution("outlet", phrase[m.start() : m.end()], cs + m.start(), cs + m.end(), name))
    folded = _fold_keep_length(text)
    for m in _OUTLET.finditer(folded):
        if any(a.kind == "outlet" and a.start <= m.start() and m.end() <= a.end for a in out):
            continue
        out.append(Attribution("outlet", text[m.start() : m.end()], m.start(), m.end(), None))
    covered = [(a.start, a.end) for a in out]
    for m in _UNSOURCED.finditer(text):
        if not any(s < m.end() and m.start() < e for s, e in covered):
            out.append(Attribution("unsourced", m.group(0), m.start(), m.end(), None))
    # unnamed sources that no quote picked up ("un témoin sur place a confié …" is usually taken)
    for m in _ANON.finditer(text):
        if not any(s <= m.start() < e or m.start() <= s < m.end() for s, e in [(a.start, a.end) for a in out]):
            # only as an attribution when followed by a reporting context in the same sentence
            tail = text[m.end() : m.end() + 80]
            if re.match(r"\s*(?:,|a\s|ont\s|avait\s|affirme|indique|explique|raconte|confie|estime|assure|déclare|précise)", tail):
                out.append(Attribution("anonymous", m.group(0).strip(), m.start(), m.start() + len(m.group(0).strip()), m.group(0).strip()))
    out.sort(key=lambda a: (a.start, a.end))
    return out


def sourcing(sentences: list[tuple[int, int]], quotes: list[Quote], attrs: list[Attribution]) -> dict[str, float]:
    """Share of sentences resting on each kind of source (see the module docstring)."""
    n = len(sentences)
    shares = {k: 0.0 for k in KINDS}
    shares["unattributed"] = 1.0 if n else 0.0
    if not n:
        return shares
    spans: list[tuple[int, int, str]] = []
    for q in quotes:
        kind = q.speaker_type if q.speaker_type in ("person", "organization", "anonymous") else "unsourced"
        spans.append((q.start, q.end, kind))
    for a in attrs:
        spans.append((a.start, a.end, a.kind))
    counts = {k: 0 for k in KINDS}
    none = 0
    for s, e in sentences:
        kinds = {k for a, b, k in spans if a < e and s < b}
        for k in kinds:
            counts[k] += 1
        if not kinds:
            none += 1
    shares = {k: round(counts[k] / n, 4) for k in KINDS}
    shares["unattributed"] = round(none / n, 4)
    return shares
