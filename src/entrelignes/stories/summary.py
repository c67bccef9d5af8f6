"""Per story: a headline, an extractive summary credited to outlets, and outlet contrast.

- `headline`: the member title closest to what the whole story says (cosine of the title with
  the story's centroid), among titles of a readable length; ties go to the earliest article.
- `summarize`: the most central sentences (closest to the centroid of all the story's sentences,
  TF-IDF within the story), skipping sentences that repeat one already chosen, spread over
  outlets when the story has several, each credited to its outlet.
- `outlets`: who covered the story and when each outlet first did, copies marked as such.
- `quotes_by_speaker`: the analysis stage's quotes of all members, grouped by speaker ("Castaner"
  and "Christophe Castaner" are one speaker), each credited to its outlet.
- `outlet_contrast`: for each outlet, the words that most distinguish its coverage from the other
  outlets' coverage of the same story: log-odds ratio with an informative Dirichlet prior
  (Monroe, Colaresi & Quinn 2008, "Fightin' words"), z-scored by its variance. The prior is the
  word distribution of the whole story (or a background corpus when given), so rare words with
  one lucky count do not dominate.
"""

from __future__ import annotations

import math
from collections import Counter
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from .cluster import StoryInput
from .text import STOPWORDS, content_terms, sentences, words

_PREFIX = 6


def _tfidf(docs: list[list[str]]) -> list[dict[str, float]]:
    df: Counter[str] = Counter()
    for d in docs:
        df.update(set(d))
    n = len(docs)
    out = []
    for d in docs:
        tf = Counter(d)
        v = {t: (1 + math.log(c)) * (math.log((n + 1) / (df[t] + 1)) + 1) for t, c in tf.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        out.append({t: x / norm for t, x in v.items()})
    return out


def _centroid(vectors: list[dict[str, float]]) -> dict[str, float]:
    c: Counter[str] = Counter()
    for v in vectors:
        c.update(v)
    norm = math.sqrt(sum(x * x for x in c.values())) or 1.0
    return {t: x / norm for t, x in c.items()}


def _dot(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


def _ordered(members: Sequence[StoryInput]) -> list[StoryInput]:
    return sorted(members, key=lambda m: (m.published, m.id))


def headline(members: Sequence[StoryInput]) -> str:
    """The most representative member title ("" for an empty story)."""
    members = _ordered(members)
    titled = [m for m in members if m.title.strip()]
    if not titled:
        return ""
    if len(titled) == 1:
        return titled[0].title.strip()
    docs = [content_terms(m.title + " " + m.title + " " + m.text[:600], _PREFIX) for m in members]
    centroid = _centroid(_tfidf(docs))
    title_vectors = _tfidf([content_terms(m.title, _PREFIX) for m in titled] + docs)[: len(titled)]

    def score(i: int) -> tuple[float, int]:
        n_words = len(titled[i].title.split())
        readable = 1.0 if 4 <= n_words <= 16 else 0.8
        return (-_dot(title_vectors[i], centroid) * readable, i)

    best = min(range(len(titled)), key=score)
    return titled[best].title.strip()


def summarize(members: Sequence[StoryInput], n: int = 3) -> list[tuple[str, str]]:
    """The `n` most central sentences of the story as (sentence, outlet)."""
    members = _ordered(members)
    candidates: list[tuple[str, str, int, int]] = []  # sentence, outlet, member rank, position
    seen_texts = {m.title.strip() for m in members}  # a title repeated as the text's first line says nothing new
    for rank, m in enumerate(members):
        for pos, sent in enumerate(sentences(m.text)):
            n_words = len(sent.split())
            if n_words < 6 or n_words > 60 or sent in seen_texts:
                continue
            seen_texts.add(sent)
            candidates.append((sent, m.source, rank, pos))
    if not candidates:
        return [(m.title.strip(), m.source) for m in members[:n] if m.title.strip()]
    vectors = _tfidf([content_terms(c[0], _PREFIX) for c in candidates])
    centroid = _centroid(vectors)
    # centrality, with a gentle preference for early sentences (news put the essential first)
    scores = [_dot(v, centroid) * (1.0 / (1.0 + 0.05 * c[3])) for v, c in zip(vectors, candidates)]
    order = sorted(range(len(candidates)), key=lambda i: (-scores[i], candidates[i][2], candidates[i][3]))
    outlets = {c[1] for c in candidates}
    chosen: list[int] = []
    used_outlets: set[str] = set()
    for spread in (True, False):  # first one sentence per outlet, then fill up
        for i in order:
            if len(chosen) >= n:
                break
            if i in chosen or (spread and candidates[i][1] in used_outlets and len(used_outlets) < len(outlets)):
                continue
            if any(_dot(vectors[i], vectors[j]) > 0.6 for j in chosen):
                continue
            chosen.append(i)
            used_outlets.add(candidates[i][1])
    chosen.sort(key=lambda i: (-scores[i], candidates[i][2], candidates[i][3]))
    return [(candidates[i][0], candidates[i][1]) for i in chosen]


def _contrast_words(text: str) -> list[str]:
    return [w for w in words(text) if len(w) > 2 and w not in STOPWORDS and not w.isdigit()]


def outlet_contrast(
    members: Sequence[StoryInput],
    top: int = 8,
    *,
    prior: Mapping[str, int] | None = None,
    prior_strength: float | None = None,
    min_z: float = 0.0,
) -> dict[str, list[tuple[str, float]]]:
    """Outlet -> its most distinctive words as (word, z-score), strongest first.

    Log-odds ratio of each word between the outlet and all the other outlets of the story,
    with an informative Dirichlet prior alpha_w = prior_strength * p(w), p from `prior` word
    counts plus the story's own when given, else from the story alone; the strength defaults to
    the story's word count (the prior weighs as much as the evidence). Only words favouring the outlet (z > min_z)
    are listed; a story covered by a single outlet has nothing to contrast.
    """
    counts: dict[str, Counter[str]] = {}
    for m in _ordered(members):
        counts.setdefault(m.source, Counter()).update(_contrast_words(m.title + "\n" + m.text))
    if len(counts) < 2:
        return {outlet: [] for outlet in counts}
    pool: Counter[str] = Counter()
    for c in counts.values():
        pool.update(c)
    base = pool + Counter(prior) if prior else pool  # the story always informs its own prior
    base_total = sum(base.values()) or 1
    vocab = set(pool)
    strength = prior_strength if prior_strength is not None else float(sum(pool.values()))
    alpha = {w: strength * (base.get(w, 0) + 0.01) / base_total for w in vocab}
    alpha0 = sum(alpha.values())
    total = sum(pool.values())
    result: dict[str, list[tuple[str, float]]] = {}
    for outlet, mine in counts.items():
        n_i = sum(mine.values())
        n_j = total - n_i
        scored = []
        for w in vocab:
            a = alpha[w]
            yi, yj = mine.get(w, 0), pool[w] - mine.get(w, 0)
            delta = math.log((yi + a) / (n_i + alpha0 - yi - a)) - math.log((yj + a) / (n_j + alpha0 - yj - a))
            z = delta / math.sqrt(1.0 / (yi + a) + 1.0 / (yj + a))
            if z > min_z and yi > 0:
                scored.append((w, z))
        scored.sort(key=lambda wz: (-wz[1], wz[0]))
        result[outlet] = [(w, round(z, 4)) for w, z in scored[:top]]
    return result


def outlets(members: Sequence[StoryInput], duplicate_of: Mapping[str, str] = {}) -> list[tuple[str, datetime, bool]]:  # noqa: B006
    """(outlet, first publication, only carried copies) per outlet, earliest first."""
    first: dict[str, tuple[datetime, str, bool]] = {}
    for m in _ordered(members):
        copy = m.id in duplicate_of
        if m.source not in first:
            first[m.source] = (m.published, m.id, copy)
        elif not copy and first[m.source][2]:  # an own article after a copy: not only a carrier
            first[m.source] = (first[m.source][0], first[m.source][1], False)
    return [(o, t, c) for o, (t, _, c) in sorted(first.items(), key=lambda kv: (kv[1][0], kv[1][1]))]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c)).strip()


def quotes_by_speaker(quotes: Iterable[tuple[str, object]]) -> dict[str, list[tuple[str, object]]]:
    """Speaker -> [(outlet, quote)], from (outlet, quote) pairs whose quote has `.speaker`.

    Speakers are matched like the quote scorer does: case and accents ignored, and a name whose
    last word ends the other's ("Castaner", "Christophe Castaner") is the same speaker, shown
    with its longest form (the first written, among equally long ones). Quotes without a speaker are left out. Speakers with the most quotes
    come first, then by name.
    """
    groups: list[tuple[list[str], list[tuple[str, object]]]] = []  # (names seen, quotes)
    for outlet, quote in quotes:
        speaker = (getattr(quote, "speaker", None) or "").strip()
        if not speaker:
            continue
        tokens = _fold(speaker).split()
        for names, items in groups:
            known = _fold(max(names, key=len)).split()
            if tokens and known and (tokens[-1] == known[-1]) and (set(tokens) <= set(known) or set(known) <= set(tokens)):
                names.append(speaker)
                items.append((outlet, quote))
                break
        else:
            groups.append(([speaker], [(outlet, quote)]))
    # the longest form of the name, the first one written when several are as long
    named = [(max(names, key=len), items) for names, items in groups]
    named.sort(key=lambda g: (-len(g[1]), _fold(g[0])))
    return {name: items for name, items in named}
