"""Incremental story clustering.

Articles arrive in time order. Each one is first checked for being a copy of an earlier article
(`NearDuplicateIndex`); a copy joins its original's story. Otherwise it is compared with the
stories still open and joins the one it is closest to on average (average linkage over the
story's latest `max_members` members) when that reaches `ClusterParams.threshold`, or opens a
new story. Story ids are `s-<first member id>`.

Evidence can change a story later:
- merge: when an article also reaches the threshold for a second story and the two stories are,
  on average, that close to each other, they become one. A story that went out in an edition
  (`mark_published`) keeps its id over one that did not, otherwise the one that started first;
  `merged()` records the other (so a published id can be redirected);
- split: as a story grows, its open members in the new article's language are divided in two
  groups (2-means over their pair similarities); when each group holds `split_min` members that
  are on average at least `threshold` alike while the two groups are on average less than
  `split_ratio` x `threshold` alike, one group leaves as a new story named after its first
  member (its second when the first names the staying story). The group holding more published
  members keeps the id (and the members that were not compared), otherwise the group that
  started first.

Evidence for "same story", combined into one similarity per article pair:
- text: cosine of TF-IDF vectors over content words of the title and the first `max_words`
  content words of the text, the first `lead_words` counting double (news put the event first,
  later paragraphs drift into background); words cut to a `prefix` as a language-free stemmer.
  Document frequencies are counted incrementally over the stream with a half-life (or seeded
  from a background corpus), so the weights of rare words are known without a second pass;
- title: cosine of the title vectors alone, added with a weight (0 by default: it did not help
  on the dev day once titles are in the text vector);
- entities: when the analysis stage provides them, the shared entities weighted by rarity
  (cosine of idf-weighted entity sets), added with a weight;
- names: proper names read without a model (capitalised words not at a sentence start, hyphenated
  names kept whole, case and accents folded; plus the capitalised words of the entities), counted
  per story and per open window. A name is evidence for a story when several of its members use
  it and hardly any other open article does; several such names (`name_min`) add a bonus. It is
  what joins a report in another language (words barely overlap, names do: Pont-Aurel, Vérane),
  so across languages it weighs `name_weight`; within one language, where the words already
  speak, only `name_weight_same` (a nudge for follow-ups and side stories near the threshold).
  Names count only for stories active within `name_window`;
- language: when a story holds members in several languages, an article's words are compared
  with the members in its own language only (a French follow-up is not diluted by the English
  report that joined on names);
- time: the sum is damped by the time since the story's latest article (halves every
  `time_scale`).

Candidates come from inverted indexes over the top terms of the open and resting articles only,
and each candidate story costs one sparse dot product with running sums of its members' vectors,
so the cost per article depends on the size of those windows, not on the length of the stream.
Stories close after `quiet_period` without a new article; their articles leave the open window
(candidates, names) but the story rests, its members' vectors kept, until `reopen_within` after
its latest article: an article that links to a resting story at the threshold (by the same rule,
names apart: they only count in the days of the open window) reopens it under its id, so a late
report joins the story it belongs to instead of starting it again, and a copy of a resting member
joins it as a copy. A resting story is a candidate only when its members share `reopen_terms` of
the article's top terms (damped by its quiet days, only a close match reaches the threshold). It
can take no more articles after `reopen_within` and leaves every index; the time damping makes a
match past a week impossible anyway.

The open and resting windows can be saved (`to_state`, compressed JSON) and a clusterer rebuilt
from them (`from_state`), so a pipeline run feeds only the articles that arrived since the last
one and gets exactly what one long run would have given.
"""

from __future__ import annotations

import heapq
import json
import math
import zlib
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone
from typing import Any

from .dedup import NearDuplicateIndex
from .text import STOPWORDS, fold, name_keys, terms_of, words

Vector = dict[str, float]

STATE_FORMAT = 2  # bump when `to_state`'s layout changes: older states are then replayed


@dataclass(frozen=True)
class StoryInput:
    """One article as the story stage sees it."""

    id: str
    title: str
    text: str
    published: datetime  # timezone-aware
    source: str  # outlet name
    language: str = ""
    entities: tuple[str, ...] = ()  # entity texts from the analysis stage, if any


@dataclass(frozen=True)
class ClusterParams:
    """Knobs of the clusterer. Defaults tuned on the dev day of stories-en (see docs/BENCHMARKS.md)."""

    threshold: float = 0.23  # average-link similarity needed to join a story
    prefix: int = 6  # words cut to this many characters (0: whole words)
    title_weight: float = 1.0  # extra term count for each title word
    lead_words: int = 30  # the first words of the text ...
    lead_weight: float = 1.0  # ... count this much extra (news put the event first)
    max_words: int = 100  # only the first N content words of the text count (0: all)
    merge: bool = True  # an article close to two open stories may merge them
    title_sim_weight: float = 0.0  # weight of the title-only cosine in the pair similarity
    entity_weight: float = 0.1  # weight of the shared-entity cosine (when entities are given)
    time_scale: timedelta = timedelta(hours=72)  # similarity halves at this distance
    name_weight: float = 0.06  # bonus per unit of shared-name evidence, across languages (0: off)
    name_weight_same: float = 0.02  # the same, between articles in one language (text says most)
    name_min: float = 2.0  # evidence needed before shared names count at all (several names)
    name_cap: float = 4.0  # evidence counted at most this much
    name_members: int = 3  # a name counts when at least this many of the story's members use it,
    name_share: float = 0.5  # ... at least this share of them,
    name_exclusive: float = 1.0  # ... and this share of the open articles naming it are the story's
    name_words: int = 400  # names are read in the title and the first N words of the text
    name_window: timedelta = timedelta(hours=36)  # only for stories with an article this recent
    index_terms: int = 20  # top terms per article in the inverted index
    query_terms: int = 40  # top terms of a new article looked up in it
    max_posting: int = 2000  # postings longer than this are skipped at query time
    max_members: int = 60  # average linkage over at most the latest N members of a story
    dedup_threshold: float = 0.5  # estimated Jaccard of 5-shingles for a copy
    dedup_num_perm: int = 64
    max_vocabulary: int = 300_000  # document-frequency table pruned past this size
    idf_offset: float = 1.0  # added to every idf (1.0 = scikit-learn's smooth idf)
    df_half_life: timedelta | None = timedelta(days=30)  # document frequencies forget at this rate
    split: bool = True  # a story whose members fall into two groups may split in two
    split_ratio: float = 0.5  # ... when the groups are on average less than this x threshold alike
    split_min: int = 2  # ... and each holds at least this many members
    # a closed story may take a late article until this long after its latest one (0: never); at
    # 3 days the article must be twice as alike as at the same time (the time damping halves it)
    reopen_within: timedelta = timedelta(days=3)
    reopen_terms: int = 4  # ... when its members share this many of the article's top terms


@dataclass
class _Story:
    """An open (or resting) story and the running sums of its latest members' vectors.

    Average linkage between an article and the story's latest `max_members` members is the dot
    product of the article with these sums divided by their count: one sparse dot per story.
    Invariant: `window` lists the members whose vectors are kept (open, or asleep with their
    resting story), oldest first, and they are exactly the ones in the sums.
    """

    id: str
    members: list[tuple[datetime, str]] = field(default_factory=list)  # (published, id), in order
    last: datetime | None = None
    text_sum: dict[str, float] = field(default_factory=dict)
    title_sum: dict[str, float] = field(default_factory=dict)
    entity_sum: dict[str, float] = field(default_factory=dict)
    names: Counter[str] = field(default_factory=Counter)  # name -> counted members naming it
    languages: Counter[str] = field(default_factory=Counter)  # language -> counted members
    by_language: dict[str, dict[str, float]] = field(default_factory=dict)  # language -> its text_sum
    window: deque[str] = field(default_factory=deque)  # members whose vectors are kept (open or asleep), in the order they came
    published: set[str] = field(default_factory=set)  # members that went out under this id
    checked: int = 0  # len(members) when a split was last looked for

    @property
    def counted(self) -> int:
        return len(self.window)


@dataclass
class _Open:
    vector: Vector
    title: Vector
    entities: Vector
    published: datetime
    story: str
    top: tuple[str, ...]
    names: frozenset[str] = frozenset()
    language: str = ""


class _DocumentFrequencies:
    """Document frequencies over the stream so far (plus an optional background corpus).

    With a half-life, older documents count less: a document seen one half-life ago counts 1/2.
    The effective corpus size then levels off (about rate x half-life / ln 2 documents), so
    weights, and the threshold tuned on them, mean the same after a week and after a year, and
    the words of last month's big story become ordinary again. Implemented without touching old
    counts: each new document counts `unit` = 2 ** (elapsed / half-life), and every count is
    rescaled once `unit` grows large.
    """

    def __init__(
        self,
        background: Mapping[str, int] | None = None,
        background_docs: int = 0,
        limit: int = 1_000_000,
        offset: float = 0.0,
        half_life: timedelta | None = None,
    ):
        self.df: dict[str, float] = {t: float(c) for t, c in (background or {}).items()}
        self.n = float(background_docs)
        self.limit = limit
        self.offset = offset
        self.half_life = half_life.total_seconds() if half_life else 0.0
        self.unit = 1.0
        self.origin: datetime | None = None

    def add(self, terms: Iterable[str], when: datetime | None = None) -> None:
        if self.half_life and when is not None:
            if self.origin is None:
                self.origin = when
            elapsed = (when - self.origin).total_seconds()
            self.unit = max(self.unit, 2.0 ** (elapsed / self.half_life))
            if self.unit > 1e9:  # rescale: the current unit becomes 1
                scale = self.unit
                self.df = {t: c / scale for t, c in self.df.items() if c / scale >= 0.01}
                self.n /= scale
                self.unit = 1.0
                self.origin = when
        unit, df = self.unit, self.df
        for term in set(terms):
            df[term] = df.get(term, 0.0) + unit
        self.n += unit
        if len(df) > self.limit:  # forget the rarest: an unknown word weighs about the same
            self.df = {t: c for t, c in df.items() if c > unit}

    def export(self) -> dict[str, Any]:
        return {"df": self.df, "n": self.n, "unit": self.unit, "origin": _iso(self.origin)}

    def restore(self, state: dict[str, Any]) -> None:
        self.df, self.n, self.unit = dict(state["df"]), float(state["n"]), float(state["unit"])
        self.origin = _time(state["origin"])

    def idf(self, term: str) -> float:
        return math.log((self.n + self.unit) / (self.df.get(term, 0.0) + self.unit)) + self.offset


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def _time(text: str | None) -> datetime | None:
    if text is None:
        return None
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"naive time {text!r} in a saved state")
    return when


def _normalise(weights: dict[str, float]) -> Vector:
    norm = math.sqrt(sum(w * w for w in weights.values()))
    if not norm:
        return {}
    return {t: w / norm for t, w in weights.items()}


def _dot(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    get = b.get
    return sum([w * get(t, 0.0) for t, w in a.items()])


def _index(postings: dict[str, set[str]], aid: str, top: tuple[str, ...]) -> None:
    for term in top:
        postings.setdefault(term, set()).add(aid)


def _unindex(postings: dict[str, set[str]], aid: str, top: tuple[str, ...]) -> None:
    for term in top:
        posting = postings.get(term)
        if posting is not None:
            posting.discard(aid)
            if not posting:
                del postings[term]


def _accumulate(total: dict[str, float], vector: Vector, sign: float = 1.0) -> None:
    for t, w in vector.items():
        value = total.get(t, 0.0) + sign * w
        if sign < 0 and abs(value) < 1e-12:
            total.pop(t, None)
        else:
            total[t] = value


class StoryClusterer:
    """Incremental: articles are added in time order; each joins an open story or opens one.

    Stories close after `quiet_period` without a new article and rest until `reopen_within`
    after it; memory is bounded by the open and resting windows. Story ids are stable strings
    derived from the first member's id.
    """

    def __init__(
        self,
        *,
        quiet_period: timedelta = timedelta(hours=36),
        params: ClusterParams | None = None,
        background: Mapping[str, int] | None = None,
        background_docs: int = 0,
    ) -> None:
        self.quiet_period = quiet_period
        self.params = params or ClusterParams()
        p = self.params
        self._df = _DocumentFrequencies(background, background_docs, p.max_vocabulary, p.idf_offset, p.df_half_life)
        self._entity_df = _DocumentFrequencies(offset=1.0)  # an entity shared by all still counts
        self._dedup = NearDuplicateIndex(threshold=p.dedup_threshold, num_perm=p.dedup_num_perm)
        self._open: dict[str, _Open] = {}
        self._name_open: Counter[str] = Counter()  # name -> open articles naming it
        self._stories: dict[str, _Story] = {}
        self._postings: dict[str, set[str]] = {}
        self._closing: list[tuple[datetime, str]] = []  # heap of (last article time, story id)
        self._resting: dict[str, _Story] = {}  # closed stories a late article may still reopen
        self._asleep: dict[str, _Open] = {}  # their window members, out of the open window
        self._resting_postings: dict[str, set[str]] = {}  # term -> asleep article ids
        self._expiring: list[tuple[datetime, str]] = []  # heap of (last article time, resting story id)
        self._assign: dict[str, str] = {}
        self._duplicate_of: dict[str, str] = {}
        self._now: datetime | None = None
        self._merged: dict[str, str] = {}
        self._closed: list[tuple[str, list[str]]] = []  # ended since the last take_closed()

    # -- public -----------------------------------------------------------------------------

    def add(self, article: StoryInput) -> str:
        """Place one article; return its story id. Adding an id twice returns the first answer."""
        if article.id in self._assign:
            return self._assign[article.id]
        if article.published.tzinfo is None:
            raise ValueError(f"article {article.id}: published must be timezone-aware")
        # in UTC: differences between times in one zone would ignore DST, and a saved state keeps UTC
        published = article.published.astimezone(timezone.utc)
        now = published if self._now is None else max(self._now, published)
        self._now = now
        self._close_quiet(now)
        self._end_resting(now)
        p = self.params

        tokens = words(article.text)
        original = self._dedup.add(article.id, tokens)
        story_id: str | None = None
        if original is not None:
            self._duplicate_of[article.id] = original
            story_id = self._assign.get(original)
            if story_id in self._resting:
                self._reopen(story_id)  # type: ignore[arg-type]
            elif story_id not in self._stories:
                story_id = None

        body_terms = terms_of(tokens, p.prefix)
        if p.max_words:
            body_terms = body_terms[: p.max_words]
        title_terms = terms_of(words(article.title), p.prefix)
        if original is None:  # copies do not make their words look common
            self._df.add(body_terms + title_terms, now)
        vector = self._vector(body_terms, title_terms)
        title_vector = _normalise({t: self._df.idf(t) for t in set(title_terms)})
        entities = self._entities(article.entities, count=original is None)
        top = tuple(t for t, _ in sorted(vector.items(), key=lambda kv: (-kv[1], kv[0]))[: p.query_terms])
        names = self._names(article) if p.name_weight or p.name_weight_same else frozenset()
        item = _Open(vector, title_vector, entities, published, "", top[: p.index_terms], names, article.language)

        linked: list[str] = []
        if story_id is None:
            linked = self._linked_stories(item, top)
            story_id = linked[0] if linked else None
            if story_id in self._resting:
                self._reopen(story_id)  # type: ignore[arg-type]
        if story_id is None:
            story_id = self._new_story_id(article.id)
            self._stories[story_id] = _Story(story_id)
        item.story = story_id
        story = self._stories[story_id]
        self._open[article.id] = item
        self._name_open.update(item.names)
        story.members.append((published, article.id))
        story.last = published if story.last is None else max(story.last, published)
        self._add_to_sums(story, item)
        story.window.append(article.id)
        if len(story.window) > p.max_members:
            # the oldest member leaves the sums and the window: a story that never goes quiet
            # still holds at most `max_members` vectors
            self._evict(story.window.popleft())
        heapq.heappush(self._closing, (story.last, story_id))
        _index(self._postings, article.id, item.top)
        self._assign[article.id] = story_id
        if p.merge:
            for other in linked[1:]:
                if other in self._stories and story_id in self._stories and self._story_link(story_id, other) >= p.threshold:
                    story_id = self._merge(story_id, other)
        if p.split:
            self._split_if_two_groups(self._assign[article.id], article.language)
        return self._assign[article.id]

    def assignments(self) -> dict[str, str]:
        """Article id -> story id, for every article added so far."""
        return dict(self._assign)

    def duplicate_of(self) -> dict[str, str]:
        """Article id -> the earlier article it is a near-duplicate (wire copy) of."""
        return dict(self._duplicate_of)

    def take_closed(self) -> dict[str, str]:
        """Article id -> story id for the stories that ended since the last call (closed, and past
        `reopen_within`: they can no longer change), then forget them.

        `assignments()` keeps every article ever added; a long-running pipeline persists what
        this returns and calls it regularly, so that memory stays bounded by the open and resting
        windows. Forgotten articles also leave `assignments()`, `duplicate_of()` and `merged()`.
        """
        out: dict[str, str] = {}
        for sid, members in self._closed:
            for aid in members:
                if self._assign.get(aid) == sid:
                    out[aid] = sid
                    del self._assign[aid]
                    self._duplicate_of.pop(aid, None)
            for old in [o for o, new in self._merged.items() if new == sid]:
                del self._merged[old]
        self._closed.clear()
        return out

    def merged(self) -> dict[str, str]:
        """Story id -> the story it was merged into (follow chains for the current id)."""
        return dict(self._merged)

    def open_stories(self) -> dict[str, list[str]]:
        """Story id -> member article ids, for the stories still open."""
        return {sid: [m for _, m in s.members] for sid, s in self._stories.items()}

    @property
    def open_articles(self) -> int:
        """How many articles the open window holds (vectors, index entries, MinHashes)."""
        return len(self._open)

    def close_all(self) -> None:
        """End every story (end of a run): frees both windows; assignments are kept."""
        for sid in list(self._stories):
            self._rest(sid)
        for sid in list(self._resting):
            self._end(sid)
        self._closing.clear()
        self._expiring.clear()

    def mark_published(self, story_id: str, article_ids: Iterable[str]) -> None:
        """Record that these members of the open or resting story `story_id` went out under that
        id: a later merge or split leaves the id with them. Ids of other stories' articles are
        ignored."""
        story = self._stories.get(story_id) or self._resting.get(story_id)
        if story is None:
            return
        shown = set(article_ids)
        story.published.update(m for _, m in story.members if m in shown)

    def to_state(self) -> bytes:
        """Everything the clusterer holds (the open and resting windows, document frequencies,
        assignments not yet taken), as compressed JSON for `from_state`."""
        state = {
            "format": STATE_FORMAT,
            "settings": self._settings(),
            "now": _iso(self._now),
            "df": self._df.export(),
            "entity_df": self._entity_df.export(),
            "dedup": self._dedup.export(),
            "open": {aid: _item_state(o) for aid, o in self._open.items()},
            "stories": {sid: _story_state(s) for sid, s in self._stories.items()},
            "closing": [[_iso(t), sid] for t, sid in self._closing],  # a heap stays a heap as a list
            "asleep": {aid: _item_state(o) for aid, o in self._asleep.items()},
            "resting": {sid: _story_state(s) for sid, s in self._resting.items()},
            "expiring": [[_iso(t), sid] for t, sid in self._expiring],
            "assign": self._assign,
            "duplicate_of": self._duplicate_of,
            "merged": self._merged,
            "closed": self._closed,
        }
        # ASCII escapes: a stray surrogate in some text still round-trips
        return zlib.compress(json.dumps(state, separators=(",", ":")).encode("ascii"))

    @classmethod
    def from_state(
        cls, state: bytes, *, quiet_period: timedelta = timedelta(hours=36), params: ClusterParams | None = None
    ) -> StoryClusterer:
        """A clusterer that continues where the one that wrote `state` stopped.

        Raises ValueError when the state cannot be read or was written with other settings
        (parameters, quiet period or format): the caller then replays the articles instead.
        """
        clusterer = cls(quiet_period=quiet_period, params=params)
        try:
            data = json.loads(zlib.decompress(state).decode("ascii"))
            if data["format"] != STATE_FORMAT or data["settings"] != clusterer._settings():
                raise ValueError("saved by another version or with other settings")
            clusterer._restore(data)
        except (zlib.error, UnicodeDecodeError, KeyError, TypeError, IndexError, AttributeError, ValueError) as error:
            raise ValueError(f"unusable clusterer state: {error}") from error
        return clusterer

    # -- internals --------------------------------------------------------------------------

    def _settings(self) -> dict[str, Any]:
        """What a saved state must have been made with to be continued."""
        params = {f.name: repr(getattr(self.params, f.name)) for f in fields(self.params)}
        return {"params": params, "quiet_period": self.quiet_period.total_seconds()}

    def _restore(self, data: dict[str, Any]) -> None:
        self._now = _time(data["now"])
        self._df.restore(data["df"])
        self._entity_df.restore(data["entity_df"])
        self._dedup.restore(data["dedup"])
        for aid, saved in data["open"].items():
            item = self._open[aid] = _item_from(saved)
            self._name_open.update(item.names)
            _index(self._postings, aid, item.top)
        for aid, saved in data["asleep"].items():
            item = self._asleep[aid] = _item_from(saved)
            _index(self._resting_postings, aid, item.top)
        self._stories = {sid: _story_from(sid, s) for sid, s in data["stories"].items()}
        self._resting = {sid: _story_from(sid, s) for sid, s in data["resting"].items()}
        self._closing = [(_time(t), sid) for t, sid in data["closing"]]  # type: ignore[misc]
        self._expiring = [(_time(t), sid) for t, sid in data["expiring"]]  # type: ignore[misc]
        self._assign = dict(data["assign"])
        self._duplicate_of = dict(data["duplicate_of"])
        self._merged = dict(data["merged"])
        self._closed = [(sid, list(members)) for sid, members in data["closed"]]

    def _new_story_id(self, article_id: str) -> str:
        base = f"s-{article_id}"
        sid, n = base, 1
        while sid in self._stories or sid in self._resting:  # an article id reused after its story closed, or a split-off group of one named after the staying story
            n += 1
            sid = f"{base}-{n}"
        return sid

    def _vector(self, body: list[str], title: list[str]) -> Vector:
        p = self.params
        tf: Counter[str] = Counter(body)
        for term in body[: p.lead_words]:
            tf[term] += p.lead_weight
        for term in title:
            tf[term] += p.title_weight
        return _normalise({t: (1.0 + math.log(c)) * self._df.idf(t) for t, c in tf.items() if c > 0})

    def _entities(self, entities: tuple[str, ...], *, count: bool) -> Vector:
        names = {e.strip().casefold() for e in entities if e.strip()}
        if not names:
            return {}
        if count:
            self._entity_df.add(names)
        return _normalise({n: self._entity_df.idf(n) for n in names})

    def _add_to_sums(self, story: _Story, item: _Open, sign: float = 1.0) -> None:
        _accumulate(story.text_sum, item.vector, sign)
        _accumulate(story.title_sum, item.title, sign)
        _accumulate(story.entity_sum, item.entities, sign)
        story.languages[item.language] += int(sign)
        _accumulate(story.by_language.setdefault(item.language, {}), item.vector, sign)
        if story.languages[item.language] <= 0:
            del story.languages[item.language]
            del story.by_language[item.language]
        if item.names:
            if sign > 0:
                story.names.update(item.names)
            else:
                story.names.subtract(item.names)
                for name in item.names:
                    if story.names[name] <= 0:
                        del story.names[name]

    def _decay(self, a: datetime, b: datetime) -> float:
        scale = self.params.time_scale
        if not scale:
            return 1.0
        return 0.5 ** (abs((a - b).total_seconds()) / scale.total_seconds())

    def _link(self, item: _Open, story: _Story) -> float:
        """Average similarity of `item` to the story's latest members, damped by time since its last."""
        p = self.params
        sim = 0.0
        if p.title_sim_weight and item.title and story.title_sum:
            sim += p.title_sim_weight * _dot(item.title, story.title_sum)
        if p.entity_weight and item.entities and story.entity_sum:
            sim += p.entity_weight * _dot(item.entities, story.entity_sum)
        sim /= story.counted
        same = story.languages.get(item.language, 0)
        if same and same < story.counted:  # words are compared with the members in its language
            sim += _dot(item.vector, story.by_language[item.language]) / same
        else:
            sim += _dot(item.vector, story.text_sum) / story.counted
        if item.names and story.names and story.id in self._stories:  # names are counted over open stories only
            other_language = bool(item.language) and item.language not in story.languages
            weight = p.name_weight if other_language else p.name_weight_same
            if weight:
                sim += weight * self._name_evidence(item, story)
        return sim * self._decay(item.published, story.last)  # type: ignore[arg-type]

    def _name_evidence(self, item: _Open, story: _Story) -> float:
        """How strongly the names `item` shares with `story` point at that story, 0 when weak.

        Each shared name counts (members of the story naming it / members counted) x (members of
        the story naming it / open articles naming it): a name counts fully when every member of
        the story uses it and no other open article does (a flooded village, the people of one
        affair), little when the story only mentions it or when it is everywhere in the news (a
        country, a big city, a president). A name counts at all only when `name_members` members
        and `name_share` of them use it and `name_exclusive` of the open articles naming it are
        the story's: a story of one article has no names yet (one text names many things, and on
        the English dev day that alone merged unrelated stories). Below `name_min` (one name, however rare, or several
        common ones) the evidence is 0; above, it is capped at `name_cap`. Only for stories whose
        latest article is within `name_window`: names join a follow-up or another language's
        report of the same days, not next month's story in the same town.
        """
        p = self.params
        if abs((item.published - story.last).total_seconds()) > p.name_window.total_seconds():  # type: ignore[operator]
            return 0.0
        counted, in_story, everywhere = story.counted, story.names, self._name_open
        evidence = 0.0
        for name in item.names:
            k = in_story.get(name, 0)
            if k >= p.name_members and k >= p.name_share * counted and k >= p.name_exclusive * everywhere[name]:
                evidence += (k / counted) * (k / everywhere[name])
        if evidence < p.name_min:
            return 0.0
        return min(evidence, p.name_cap)

    def _names(self, article: StoryInput) -> frozenset[str]:
        """Name keys of the article: capitalised words of its title and text, plus the capitalised
        words of the analysis stage's entities when given (the same keys in every language)."""
        p = self.params
        keys = name_keys(article.title + "\n\n" + article.text, limit=p.name_words, exclude=(article.source,))
        own = set(fold(article.source).split())
        for entity in article.entities:
            for word in entity.split():
                if word[:1].isupper() and len(word) >= 3:
                    key = fold(word.strip(".,;:!?«»\"'()"))
                    if len(key) >= 3 and key not in own and key not in STOPWORDS:
                        keys.add(key)
        return frozenset(keys)

    def _linked_stories(self, item: _Open, query: tuple[str, ...]) -> list[str]:
        """Open and resting stories whose average link to `item` reaches the threshold, best first."""
        p = self.params
        stories: set[str] = set()
        for term in query:
            posting = self._postings.get(term)
            if posting and len(posting) <= p.max_posting:
                for aid in posting:
                    stories.add(self._open[aid].story)
        # resting stories need several shared top terms: most of them share one or two, and on the
        # dev and synthetic streams none sharing fewer than six reached the threshold
        shared: Counter[str] = Counter()
        for term in query:
            posting = self._resting_postings.get(term)
            if posting and len(posting) <= p.max_posting:
                shared.update({self._asleep[aid].story for aid in posting})
        stories.update(sid for sid, n in shared.items() if n >= p.reopen_terms)
        scored = []
        for sid in stories:
            score = self._link(item, self._stories.get(sid) or self._resting[sid])
            if score >= p.threshold:
                scored.append((-score, sid))
        return [sid for _, sid in sorted(scored)]

    def _story_link(self, a: str, b: str) -> float:
        """Average similarity between the counted members of two stories."""
        p = self.params
        sa, sb = self._stories[a], self._stories[b]
        sim = _dot(sa.text_sum, sb.text_sum)
        if p.title_sim_weight:
            sim += p.title_sim_weight * _dot(sa.title_sum, sb.title_sum)
        if p.entity_weight:
            sim += p.entity_weight * _dot(sa.entity_sum, sb.entity_sum)
        return sim / (sa.counted * sb.counted) * self._decay(sa.last, sb.last)  # type: ignore[arg-type]

    def _merge(self, a: str, b: str) -> str:
        """Merge two open stories; a published one keeps its id, else the one that started first."""
        sa, sb = self._stories[a], self._stories[b]
        keep, gone = sorted((sa, sb), key=lambda s: (not s.published, s.members[0]))
        keep.members = sorted(keep.members + gone.members)
        keep.last = max(keep.last, gone.last)  # type: ignore[type-var]
        keep.published |= gone.published
        for _, m in gone.members:
            self._assign[m] = keep.id
            if m in self._open:
                self._open[m].story = keep.id
        # the latest open members of the union form the new sums; older ones leave the window
        still_open = sorted((self._open[m].published, m) for m in [*keep.window, *gone.window])
        cut = max(0, len(still_open) - self.params.max_members)
        for _, m in still_open[:cut]:
            self._evict(m, from_sums=False)
        keep.window = deque(m for _, m in still_open[cut:])
        self._rebuild_sums(keep)
        del self._stories[gone.id]
        for absorbed, into in self._merged.items():  # what `gone` absorbed before now leads to `keep`
            if into == gone.id:
                self._merged[absorbed] = keep.id
        self._merged[gone.id] = keep.id
        heapq.heappush(self._closing, (keep.last, keep.id))
        return keep.id

    def _rebuild_sums(self, story: _Story) -> None:
        story.text_sum, story.title_sum, story.entity_sum = {}, {}, {}
        story.names, story.languages, story.by_language = Counter(), Counter(), {}
        for m in story.window:
            self._add_to_sums(story, self._open[m])

    def _pair(self, a: _Open, b: _Open) -> float:
        """Similarity of two open articles, on the same terms as `_story_link`."""
        p = self.params
        sim = _dot(a.vector, b.vector)
        if p.title_sim_weight:
            sim += p.title_sim_weight * _dot(a.title, b.title)
        if p.entity_weight:
            sim += p.entity_weight * _dot(a.entities, b.entities)
        return sim * self._decay(a.published, b.published)

    def _split_if_two_groups(self, sid: str, language: str) -> None:
        """Look for two groups in the story once it has grown by half since the last look (at
        least every `max_members` articles), so each article costs O(max_members) pair
        similarities on average. Only members in `language` are compared: members in another
        language joined on shared names, their words say little."""
        p = self.params
        story = self._stories[sid]
        size = len(story.members)
        if size < 2 * p.split_min or size - story.checked < min(max(1, story.checked // 2), p.max_members):
            return
        story.checked = size
        compared = [m for m in story.window if self._open[m].language == language]
        if len(compared) < 2 * p.split_min:
            return
        groups = self._two_groups(compared)
        if groups is not None:
            self._split(story, groups)

    def _two_groups(self, ids: list[str]) -> tuple[list[str], list[str]] | None:
        """Two groups of `ids` that are each alike and unlike each other, or None.

        Seeded with the least alike pair; each member then goes to the group it is, on average,
        closer to, until nothing moves (2-means on similarities)."""
        p = self.params
        items = [self._open[m] for m in ids]
        n = len(items)
        sim = [[0.0] * n for _ in range(n)]
        for i in range(n):
            for j in range(i + 1, n):
                sim[i][j] = sim[j][i] = self._pair(items[i], items[j])
        first, second = min(((i, j) for i in range(n) for j in range(i + 1, n)), key=lambda ij: sim[ij[0]][ij[1]])
        side = [0 if sim[k][first] >= sim[k][second] else 1 for k in range(n)]
        side[first], side[second] = 0, 1

        def mean_to(k: int, group: int) -> float:
            others = [sim[k][j] for j in range(n) if j != k and side[j] == group]
            return sum(others) / len(others) if others else 0.0

        for _ in range(10):  # settles in two or three rounds; bounded should it oscillate
            moved = False
            for k in range(n):
                if sum(1 for s in side if s == side[k]) == 1:
                    continue  # a group never empties
                better = 0 if mean_to(k, 0) >= mean_to(k, 1) else 1
                if better != side[k]:
                    side[k], moved = better, True
            if not moved:
                break
        groups = [[k for k in range(n) if side[k] == g] for g in (0, 1)]
        if min(len(g) for g in groups) < p.split_min:
            return None

        def mean(pairs: list[tuple[int, int]]) -> float:
            return sum(sim[i][j] for i, j in pairs) / len(pairs)

        within = [mean([(i, j) for i in g for j in g if i < j]) for g in groups if len(g) > 1]
        between = mean([(i, j) for i in groups[0] for j in groups[1]])
        if min(within, default=p.threshold) < p.threshold or between >= p.split_ratio * p.threshold:
            return None
        return [ids[k] for k in groups[0]], [ids[k] for k in groups[1]]

    def _split(self, story: _Story, groups: tuple[list[str], list[str]]) -> None:
        """One group leaves `story` as a new story: the group with more published members stays
        (ties: the group that started first), with the members that were not compared."""

        def staying_order(group: list[str]) -> tuple[int, tuple[datetime, str]]:
            return -len(story.published.intersection(group)), min((self._open[m].published, m) for m in group)

        leaving = set(max(groups, key=staying_order))
        # named after its first member, unless that member names the staying story
        in_order = [m for _, m in sorted((self._open[m].published, m) for m in leaving)]
        name = next((m for m in in_order if f"s-{m}" not in self._stories), in_order[0])
        new = _Story(self._new_story_id(name))
        new.members = [(t, m) for t, m in story.members if m in leaving]
        story.members = [(t, m) for t, m in story.members if m not in leaving]
        new.window = deque(m for m in story.window if m in leaving)
        story.window = deque(m for m in story.window if m not in leaving)
        new.published, story.published = story.published & leaving, story.published - leaving
        for part in (story, new):
            part.last = max(t for t, _ in part.members)
            part.checked = len(part.members)
            self._rebuild_sums(part)
            heapq.heappush(self._closing, (part.last, part.id))
        for m in leaving:
            self._assign[m] = new.id
            self._open[m].story = new.id
        self._stories[new.id] = new
        self._merged.pop(new.id, None)  # an id merged away earlier and split off again is its own story

    def _close_quiet(self, now: datetime) -> None:
        limit = now - self.quiet_period
        while self._closing and self._closing[0][0] < limit:
            last, sid = heapq.heappop(self._closing)
            story = self._stories.get(sid)
            if story is not None and story.last == last:  # else a later entry is still queued
                self._rest(sid)

    def _rest(self, sid: str) -> None:
        """Close a story: its members leave the open window (candidates, names) and sleep with it,
        vectors and copy signatures kept, so that a late article can still reopen it."""
        story = self._stories.pop(sid)
        for aid in story.window:
            item = self._asleep[aid] = self._open.pop(aid)
            self._forget_names(item)
            _unindex(self._postings, aid, item.top)
            _index(self._resting_postings, aid, item.top)
        self._resting[sid] = story
        heapq.heappush(self._expiring, (story.last, sid))

    def _reopen(self, sid: str) -> None:
        """A late article joins a resting story: it comes back to the open window as it left."""
        story = self._stories[sid] = self._resting.pop(sid)
        for aid in story.window:
            item = self._open[aid] = self._asleep.pop(aid)
            self._name_open.update(item.names)
            _unindex(self._resting_postings, aid, item.top)
            _index(self._postings, aid, item.top)

    def _end_resting(self, now: datetime) -> None:
        limit = now - self.params.reopen_within
        while self._expiring and self._expiring[0][0] < limit:
            last, sid = heapq.heappop(self._expiring)
            story = self._resting.get(sid)
            if story is not None and story.last == last:  # else it was reopened since
                self._end(sid)

    def _end(self, sid: str) -> None:
        """A resting story can take no more articles: its members leave every index, and
        `take_closed` hands its assignments over."""
        story = self._resting.pop(sid)
        for aid in story.window:
            item = self._asleep.pop(aid)
            _unindex(self._resting_postings, aid, item.top)
            self._dedup.remove(aid)
        self._closed.append((sid, [aid for _, aid in story.members]))

    def _forget_names(self, item: _Open) -> None:
        self._name_open.subtract(item.names)
        for name in item.names:
            if self._name_open[name] <= 0:
                del self._name_open[name]

    def _evict(self, aid: str, *, from_sums: bool = True) -> None:
        """Drop one article's vectors, index entries and MinHash (its assignment stays)."""
        item = self._open.pop(aid, None)
        if item is None:
            return
        self._forget_names(item)
        story = self._stories.get(item.story)
        if story is not None and from_sums:  # an open member is always in its story's sums
            self._add_to_sums(story, item, -1.0)
        _unindex(self._postings, aid, item.top)
        self._dedup.remove(aid)


def _item_state(o: _Open) -> list[Any]:
    return [o.vector, o.title, o.entities, _iso(o.published), o.story, list(o.top), sorted(o.names), o.language]


def _item_from(saved: list[Any]) -> _Open:
    vector, title, entities, published, story, top, names, language = saved
    return _Open(vector, title, entities, _time(published), story, tuple(top), frozenset(names), language)  # type: ignore[arg-type]


def _story_state(s: _Story) -> dict[str, Any]:
    return {
        "members": [[_iso(t), m] for t, m in s.members],
        "last": _iso(s.last),
        "text_sum": s.text_sum,
        "title_sum": s.title_sum,
        "entity_sum": s.entity_sum,
        "names": s.names,
        "languages": s.languages,
        "by_language": s.by_language,
        "window": list(s.window),
        "published": sorted(s.published),
        "checked": s.checked,
    }


def _story_from(sid: str, s: dict[str, Any]) -> _Story:
    return _Story(
        sid,
        members=[(_time(t), m) for t, m in s["members"]],  # type: ignore[misc]
        last=_time(s["last"]),
        text_sum=s["text_sum"],
        title_sum=s["title_sum"],
        entity_sum=s["entity_sum"],
        names=Counter(s["names"]),
        languages=Counter(s["languages"]),
        by_language=s["by_language"],
        window=deque(s["window"]),
        published=set(s["published"]),
        checked=int(s["checked"]),
    )


def cluster(articles: Iterable[StoryInput], **kw) -> dict[str, str]:
    """Batch helper: sort by (time, id), run a `StoryClusterer`, return article id -> story id."""
    clusterer = StoryClusterer(**kw)
    for article in sorted(articles, key=lambda a: (a.published, a.id)):
        clusterer.add(article)
    return clusterer.assignments()
