"""Ranking stories for an edition, with a reason a reader can check.

Importance of a story, computed from its members published up to `now`:
- independent outlets: distinct outlets among the articles that are *not* copies of an earlier
  article (wire copies collapsed: a dispatch reprinted by five outlets counts once, for the outlet
  that published it first);
- growth: independent reports of the last `growth_window` (coverage still spreading), for stories
  with more than one independent outlet: a lone report is not spreading coverage, and counting it
  as growth let any fresh single-outlet item outrank a story two outlets reported a few hours ago;
- recency: the score halves every `half_life` since the story's latest article.

    score = (log2(1 + independent outlets) + 0.5 * log2(1 + recent independent reports))
            * (0.5 + 0.5 * 0.5 ** (hours since last article / half_life))

Novelty: a story published before (`previously_published`: story id -> when) comes back only if it
has a new independent report after that time; it is then scored on those new reports and marked
`is_update`. Diversity: `max_per_outlet` caps how many stories one outlet may lead (the outlet that
reported first). Topic filters: `include` keeps stories mentioning one of the keywords, `exclude`
drops those mentioning any, matched as whole words, case and accents ignored, in the members'
titles and leads (first 400 characters of the text).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .cluster import StoryInput

LEAD_CHARS = 400


@dataclass(frozen=True)
class RankedStory:
    story_id: str
    score: float
    reason: str
    is_update: bool


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def _matches(members: Sequence[StoryInput], keywords: Sequence[str]) -> bool:
    haystack = " ".join(_fold(m.title + " " + m.text[:LEAD_CHARS]) for m in members)
    for keyword in keywords:
        kw = _fold(keyword).strip()
        if kw and re.search(r"(?<!\w)" + re.escape(kw) + r"(?!\w)", haystack):
            return True
    return False


def root_of(article_id: str, duplicate_of: Mapping[str, str]) -> str:
    """The earliest article a copy descends from (follows chains, stops on cycles)."""
    seen = {article_id}
    while article_id in duplicate_of:
        article_id = duplicate_of[article_id]
        if article_id in seen:
            break
        seen.add(article_id)
    return article_id


def _when(t: datetime, now: datetime) -> str:
    if t.astimezone(now.tzinfo).date() == now.date():
        return t.strftime("%H:%M")
    return t.strftime("%Y-%m-%d %H:%M")


def _duration(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 1:
        return "under an hour"
    if hours < 48:
        n = round(hours)
        return f"{n} hour" + ("s" if n != 1 else "")
    n = round(hours / 24)
    return f"{n} days"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("s" if n != 1 else "")


def rank_stories(
    stories: Mapping[str, Sequence[StoryInput]],
    duplicate_of: Mapping[str, str],
    *,
    now: datetime,
    previously_published: Mapping[str, datetime] = {},  # noqa: B006 (read only)
    max_per_outlet: int | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    growth_window: timedelta = timedelta(hours=6),
    half_life: timedelta = timedelta(hours=12),
) -> list[RankedStory]:
    """Stories worth an edition, most important first (ties: earliest first report, then id)."""
    ranked: list[tuple[float, datetime, str, str, RankedStory]] = []
    for story_id, all_members in stories.items():
        members = sorted((m for m in all_members if m.published <= now), key=lambda m: (m.published, m.id))
        if not members:
            continue
        if include and not _matches(members, include):
            continue
        if exclude and _matches(members, exclude):
            continue
        by_id = {m.id: m for m in members}
        # an article is an independent report unless it copies an earlier article
        independent = [m for m in members if m.id not in duplicate_of] or members[:1]
        since = previously_published.get(story_id)
        is_update = since is not None
        counted = independent
        if is_update:
            counted = [m for m in independent if m.published > since]
            if not counted:
                continue
        outlets_counted: dict[str, datetime] = {}
        for m in counted:
            outlets_counted.setdefault(m.source, m.published)
        carriers = {m.source for m in members}
        n_indep = len({m.source for m in independent})
        recent = sum(1 for m in counted if now - m.published <= growth_window) if n_indep > 1 else 0
        last = members[-1].published
        recency = 0.5 ** ((now - last).total_seconds() / half_life.total_seconds())
        importance = math.log2(1 + len(outlets_counted)) + 0.5 * math.log2(1 + recent)
        score = round(importance * (0.5 + 0.5 * recency), 6)

        first = members[0]
        first_root = by_id.get(root_of(first.id, duplicate_of), first)
        if len(carriers) > n_indep:
            outlets = f"{_plural(n_indep, 'independent outlet')} ({len(carriers)} carrying it)"
        else:
            outlets = _plural(len(carriers), "outlet")
        if len(members) == 1:
            reason = f"{outlets}, reported by {first_root.source} at {_when(first_root.published, now)}"
        else:
            reason = (
                f"{outlets} in {_duration(last - first.published)}, "
                f"first reported by {first_root.source} at {_when(first_root.published, now)}"
            )
        if is_update:
            new_outlets = sorted(outlets_counted, key=lambda o: (outlets_counted[o], o))
            reason = (
                f"update: {_plural(len(counted), 'new report')} since {_when(since, now)}"
                f" ({', '.join(new_outlets)}); " + reason
            )
        lead_outlet = first_root.source
        ranked.append((-score, first.published, story_id, lead_outlet, RankedStory(story_id, score, reason, is_update)))

    ranked.sort(key=lambda r: (r[0], r[1], r[2]))
    out: list[RankedStory] = []
    per_outlet: dict[str, int] = {}
    for _, _, _, lead_outlet, story in ranked:
        if max_per_outlet is not None:
            if per_outlet.get(lead_outlet, 0) >= max_per_outlet:
                continue
            per_outlet[lead_outlet] = per_outlet.get(lead_outlet, 0) + 1
        out.append(story)
    return out
