"""Quotes without a parse: quotation marks, reporting verbs and word patterns, any language.

Used when no spaCy pipeline is installed for the article's language, and for quotes in a
language whose pipeline has no parse-based rules here. Written for English first, with the
French incises and "selon" and a few reporting verbs of other languages:
- direct quotes in “ ” " " « »: a reporting verb next to the marks names the speaker
  ("…," said Jane Doe / "…," the mayor told reporters / Jane Doe said in a statement: "…" /
  « … », a-t-il ajouté); quoted words with no such cue are scare quotes or titles, and dropped;
- indirect quotes: "<speaker> said (in a statement) (that) …", "according to X, …",
  "…, according to X.";
- agentless reports ("it was announced that …"): a quote with no speaker.
Speakers: capitalised names (titles such as "Mayor" dropped, kept as the role), pronouns
resolved to the latest person (or group, for "they"), "the mayor" linked to the person
introduced with that title, unnamed sources ("a source close to …", "officials who spoke on
condition of anonymity") as anonymous, organisation words as organizations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from entrelignes.analyze.lexicon import EN_SPEECH, OTHER_SPEECH, SPEECH_FORMS, fold
from entrelignes.analyze.quotes import RawQuote, strip_span
from entrelignes.analyze.text import quote_spans, sentence_spans

_VERB = r"(?:" + "|".join(sorted(EN_SPEECH, key=len, reverse=True)) + r")"
_CAP = r"(?:[A-Z][a-z]{0,2}\.|[A-Z][\w'’\-]*)"  # a word, or an initial or abbreviation with its dot
_NAME = rf"{_CAP}(?:\s+(?:de|du|von|van|der|la|le|el|bin|al)?\s*{_CAP}){{0,3}}"
_DET = r"(?:[Tt]he|[Aa]n?|[Oo]ne|[Tt]wo|[Tt]hree|[Ff]our|[Ss]everal|[Ss]ome|[Mm]any|[Oo]ther|[Uu]ne?|[Ll]es?|[Ll]a|[Dd]es)"
_PRONOUN = r"(?:[Hh]e|[Ss]he|[Tt]hey|[Ii]l|[Ee]lle|[Ii]ls|[Ee]lles)"
# "Officials who spoke on condition of anonymity", "Witnesses": a bare plural opening a sentence
_PLURAL_SOURCE = r"[A-Z][a-z]+s(?:\s+(?:who|close|familiar|with|from|in|at)\s[^,.;:\"“”«»]{1,70}?)?(?=\s+(?:(?:has|had|have)\s+)?" + _VERB + r"\b)"
# a speaker phrase: a name (with an apposition ", a nurse,"), a described source, or a pronoun
_SPEAKER = (rf"(?:{_PLURAL_SOURCE}|{_NAME}(?:,\s+(?:a|an|the)\s+[^,.;:\"“”«»]{{1,60}},)?"
            rf"|{_DET}(?:\s+[^\s,.;:\"“”«»]+){{1,8}}?|{_PRONOUN})")
_AUX = r"(?:(?:has|had|have|a|ont|avait)\s+)?"
# what may sit between a reporting verb and its content: an addressee, a medium, a day
_ADDRESSEE = r"(?:(?:(?<=told)|(?<=tell)|(?<=tells))\s+(?:reporters|journalists|the\s+\w+(?:\s+\w+)?|[A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*){0,3}|him|her|them|us|me))"
_MEDIUM = r"(?:\s+(?:in|on|during|at)\s+(?:a|an|the)\s+(?:\w+\s+)?(?:statement|interview|press\s+conference|briefing|post|tweet|letter|speech|news\s+conference|video))"
_WHEN = r"(?:\s+on\s+[A-Z]\w+|\s+(?:yesterday|today|last\s+\w+|this\s+\w+))"

_AFTER_VERB_FIRST = re.compile(  # "…," said Mayor Tom Baker / « … », a déclaré X / dit-elle
    rf"\s*,?\s*(?:(?:a|ont|avait)-t-(?P<clitic1>il|elle|ils|elles|on)\s+(?P<verb1>[\w\-]+)"
    rf"|{_AUX}(?P<verb2>[\w\-]+?)(?:-t)?(?:-(?P<clitic2>il|elle|ils|elles|on))?(?=[\s,.;!?]|$)"
    rf"(?:\s+(?P<who>[^,.;:!?\"“”«»]{{1,80}}))?)")
_AFTER_SPEAKER_FIRST = re.compile(  # "…," the mayor told the council / "…," she added
    rf"\s*,?\s*(?P<who>{_SPEAKER})\s+{_AUX}(?P<verb>{_VERB})\b")
_BEFORE = re.compile(  # Jane Doe said in a statement: "…" / Tom Baker told reporters: "…"
    rf"(?P<who>{_SPEAKER})\s+{_AUX}(?P<verb>{_VERB}){_ADDRESSEE}?{_MEDIUM}?{_WHEN}?\s*[:,]?\s*$")
_INDIRECT = re.compile(  # Helen Carter said (in a statement) (that) the vote would be delayed.
    rf"(?P<who>{_SPEAKER})\s+{_AUX}(?P<verb>{_VERB}){_ADDRESSEE}?{_MEDIUM}?{_WHEN}?,?\s+(?P<that>that\s+)?"
    rf"(?P<content>[^\"“”«»:][^:]*)$")  # not "said in a statement: “…”", a direct quote
_ACCORDING_FIRST = re.compile(r"(?P<cue>[Aa]ccording\s+to|[Ss]elon|[Dd]'après|[Ss]egún|[Ll]aut)\s+(?P<who>[^,.;]{2,80}?)\s*,\s*")
_ACCORDING_LAST = re.compile(r",\s*(?P<cue>according\s+to|selon|d'après|según|laut)\s+(?P<who>[^,.;]{2,80}?)\s*[.!]?$")
# verbs whose content clause may come without "that" ("she said the vote …"); the others need it
# ("asked three experts to …" is not reported content)
_BARE_CLAUSE_VERBS = frozenset("said says told tells added adds wrote writes".split())
_FIRST_PERSON = frozenset("i we you me us".split())
_AGENTLESS = re.compile(r"(?P<cue>[Ii]t\s+(?:was|has\s+been|is)\s+(?:announced|reported|said|claimed|understood|learned))"
                        rf"{_WHEN}?,?\s+(?:that\s+)?(?P<content>.+)")

_TITLES = frozenset("""
mayor president minister senator governor chancellor secretary judge prosecutor director chief
spokesman spokeswoman spokesperson chairman chairwoman ceo general colonel captain officer
king queen prince pope
""".split())
_HONORIFICS = frozenset(fold(w) for w in "dr dr. mr mr. mrs mrs. ms ms. prof prof. sir lord lady m. mme".split())
_TITLE_ALT = "|".join(sorted(_TITLES, key=len, reverse=True))
# a person introduced with a title, for "the mayor" later: "Mayor Tom Baker", "Tom Baker, the mayor"
_TITLED = re.compile(rf"\b(?P<title1>(?i:{_TITLE_ALT}))\s+(?P<name1>{_NAME})"
                     rf"|(?P<name2>{_NAME}),\s+(?:the|a|an)\s+(?:[a-z\-'’]+\s+){{0,3}}?(?P<title2>{_TITLE_ALT})\b")
_ANON_WORDS = re.compile(r"\b(?:sources?|officials?|witness(?:es)?|residents?|person|people|diplomats?|insiders?|"
                         r"aides?|analysts?|experts?|anonymity|unnamed|familiar|close\s+to|employees?|staff|"
                         r"neighbou?rs?|témoins?|habitants?|responsables?|proches?)\b", re.I)
_ORG_WORDS = re.compile(r"\b(?:ministry|police|authorities|government|office|agency|council|court|company|inc|corp|ltd|party|"
                        r"department|army|university|association|union|bank|commission|committee|embassy|"
                        r"institute|foundation|group|news|times|post|press|journal|herald|tribune|daily|radio|television|"
                        r"ministère|gouvernement|préfecture|mairie)\b", re.I)
_PRONOUNS = {"he": "person", "she": "person", "il": "person", "elle": "person", "they": "group", "ils": "group", "elles": "group"}


def _is_speech(word: str) -> bool:
    w = fold(word).lstrip("-")
    return w in EN_SPEECH or w in OTHER_SPEECH or w in SPEECH_FORMS


@dataclass
class _Speakers:
    """The people and groups met so far, for pronouns and titles met later."""
    last_person: str | None = None
    last_group: tuple[str, str] | None = None
    titles: dict[str, str] = field(default_factory=dict)  # "mayor" -> "Tom Baker"

    def introduce(self, name: str, title: str) -> None:
        if fold(title) in _TITLES:
            self.titles[fold(title)] = name

    def resolve(self, phrase: str | None) -> tuple[str | None, str, str | None]:
        """(speaker, speaker_type, role) of a speaker phrase as written."""
        if not phrase:
            return None, "none", None
        phrase = phrase.strip(" ,")
        low = fold(phrase)
        if low in _PRONOUNS:
            if _PRONOUNS[low] == "group" and self.last_group:
                return self.last_group[0], self.last_group[1], None
            return (self.last_person, "person", None) if self.last_person else (None, "none", None)
        if _ANON_WORDS.fullmatch(low.split()[0]):
            return phrase, "anonymous", None
        if phrase[:1].isupper() and not re.match(_DET + r"\s", phrase):
            name, _, apposition = phrase.partition(",")
            words = name.split()
            titles = []
            while len(words) > 1 and (fold(words[0]) in _TITLES or fold(words[0]) in _HONORIFICS):
                titles.append(words.pop(0))
            name = " ".join(words)
            if _ORG_WORDS.search(name):
                self.last_group = (name, "organization")
                return name, "organization", None
            role = " ".join(titles) or apposition.strip(" ,").removeprefix("a ").removeprefix("an ").removeprefix("the ") or None
            for word in (role or "").split():
                self.introduce(name, word)
            self.last_person = name
            return name, "person", role
        # a described source: "the mayor", "a source close to the talks", "the ministry";
        # a capitalised name after the article ("The United States") is an organisation
        words = phrase.split()
        if len(words) > 1 and words[1][:1].isupper():
            self.last_group = (phrase, "organization")
            return phrase, "organization", None
        head_words = [fold(w) for w in words[1:4]]
        for w in head_words:
            if w in self.titles:
                return self.titles[w], "person", w
        if _ANON_WORDS.search(phrase) or not _ORG_WORDS.search(phrase):
            return phrase, "anonymous", None
        self.last_group = (phrase, "organization")
        return phrase, "organization", None


def fallback_quotes(text: str) -> list[RawQuote]:
    quotes = quote_spans(text)
    sents = sentence_spans(text, quotes)
    speakers = _Speakers()
    out: list[RawQuote] = []

    def sentence_of(pos: int) -> tuple[int, int]:
        for s, e in sents:
            if s <= pos < e:
                return s, e
        return 0, len(text)

    def add(s: int, e: int, kind: str, who: str | None, cue: str, cue_span: tuple[int, int]) -> None:
        s, e = strip_span(text, s, e)
        if who and _FIRST_PERSON & {fold(w) for w in who.split()}:
            return  # "I told her …": an interviewee's own story, inside a longer quote
        if e - s < 3 or any(r.start <= s < r.end or s <= r.start < e for r in out):
            return
        speaker, speaker_type, role = speakers.resolve(who)
        if kind == "indirect" and re.search("[\"“”«»]", text[s:e]):
            kind = "mixed"
        out.append(RawQuote(s, e, kind, speaker, speaker_type, cue, role, *cue_span))

    # speakers are resolved in reading order: quotes and sentences interleaved by position
    events = sorted([(q.open, "quote", q) for q in quotes] + [(s, "sentence", (s, e)) for s, e in sents]
                    + [(m.start(), "title", m) for m in _TITLED.finditer(text)],
                    key=lambda x: (x[0], x[1] != "title", x[1] == "sentence"))
    for _, what, item in events:
        if what == "title":
            name = item.group("name1") or item.group("name2")
            speakers.introduce(" ".join(w for w in name.split() if fold(w) not in _HONORIFICS), item.group("title1") or item.group("title2"))
        elif what == "quote":
            _direct(text, item, sentence_of(item.open), add)
        else:
            _indirect(text, item, add)
    out.sort(key=lambda r: r.start)
    return out


def _direct(text: str, q, sentence: tuple[int, int], add) -> None:
    """A quoted passage with a reporting verb right after or right before it."""
    after_end = min(len(text), q.close + 140)  # the patterns stop at the clause's punctuation
    after_start = q.close + 1
    # a cue after the quote is an incise: the quote ends on , ? ! or a comma follows the marks
    # ('"…," she said'); after '"… ."' a new sentence starts, with its own subject
    incise = text[q.end - 1] in ",?!—–" or text[after_start:after_start + 3].lstrip().startswith(",")
    m = _AFTER_VERB_FIRST.match(text, after_start, after_end) if incise else None
    if m and _is_speech(m.group("verb1") or m.group("verb2") or ""):
        verb = "verb1" if m.group("verb1") else "verb2"
        who = m.group("clitic1") or m.group("clitic2") or m.group("who")
        if who and m.group("who") and not (m.group("who")[:1].isupper() or re.match(_DET + r"\s", m.group("who"))):
            who = None  # "…," said on Monday: no speaker phrase
        add(q.start, q.end, "direct", who, text[m.start(verb) : m.end(verb)], (m.start(verb), m.end(verb)))
        return
    m = _AFTER_SPEAKER_FIRST.match(text, after_start, after_end) if incise else None
    if m:
        add(q.start, q.end, "direct", m.group("who"), m.group("verb"), (m.start("verb"), m.end("verb")))
        return
    m = _BEFORE.search(text, max(sentence[0], q.open - 160), q.open)
    if m:
        add(q.start, q.end, "direct", m.group("who"), m.group("verb"), (m.start("verb"), m.end("verb")))


def _indirect(text: str, sentence: tuple[int, int], add) -> None:
    """Reported speech without quotation marks, one sentence at a time."""
    s, e = sentence
    body = text[s:e]
    m = _AGENTLESS.search(body)
    if m:
        add(s + m.start("content"), e, "indirect", None, m.group("cue"), (s + m.start("cue"), s + m.end("cue")))
        return
    m = _ACCORDING_FIRST.match(body)
    if m:
        add(s + m.end(), e, "indirect", m.group("who"), m.group("cue"), (s + m.start(), s + m.end("who")))
        return
    m = _ACCORDING_LAST.search(body)
    if m:
        add(s, s + m.start(), "indirect", m.group("who"), m.group("cue"), (s + m.start("cue"), s + m.end("who")))
        return
    m = _INDIRECT.match(body)
    if m and len(m.group("content").split()) >= 3 and (m.group("that") or m.group("verb") in _BARE_CLAUSE_VERBS):
        add(s + m.start("content"), e, "indirect", m.group("who"), m.group("verb"),
            (s + m.start("verb"), s + m.end("verb")))
