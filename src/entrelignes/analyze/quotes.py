"""Quotes and their speakers, by rules over spaCy's tokens, parse and entities.

Order of the passes (each later pass skips text an earlier one already took):
1. reporting verb + complement: "X a déclaré que …", "X appelle à …", "X a affirmé n'avoir …";
   an inverted incise "…, a déclaré X" takes the clause before it; a passive participle with an
   agent, "jugé irréaliste par X", takes its attribute. A complement holding quotation marks is a
   *mixed* quote and keeps its whole indirect span.
2. "selon X, …" / "d'après X, …" / "pour X, …" (X a person): the rest of the clause.
3. passages in quotation marks: kept when a cue names who says them (incise after the quote,
   a reporting verb or colon before it, a reporting verb governing a short fragment, an incise
   inside the marks « A, a-t-il ajouté, B » — one quote —; for a quoted sentence standing alone,
   the subject of the sentence before it, else the previous speaker's quote continued); scare
   quotes, names and titles in quotation marks have none of these and are dropped. Marks
   inside a quoted passage (« … “ … ” … ») never make a second quote.
Speakers are resolved by `speakers.Mentions` (pronouns, titles, organisations, anonymous).

Only candidate tokens (reporting-verb forms, "selon"/"d'après"/"pour") are ever built as spaCy
`Token`s; they are found on integer columns from `Doc.to_array`, which keeps the rules cheap
next to the parse itself.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from spacy.attrs import IDX, LEMMA, LENGTH, LOWER
from spacy.strings import get_string_id
from spacy.tokens import Doc, Token

from entrelignes.analyze.lexicon import (
    ANON_NOUNS,
    HUMAN_NOUNS,
    FRAGMENT_VERBS,
    INCISE_ONLY,
    NOT_SPEECH,
    ORG_NOUNS,
    ROLE_NOUNS,
    SPEECH_NOUNS,
    fold,
    speech_lemma,
)
from entrelignes.analyze.speakers import Mentions
from entrelignes.analyze.text import QuoteSpan, quote_spans, sentence_spans

_QUE = frozenset({"que", "qu'", "qu’", "qu"})
_CLITICS = frozenset({"-t-il", "-il", "-t-elle", "-elle", "-ils", "-elles", "-t-ils", "-t-elles", "-t-on", "-on", "-t"})
_OPEN = "«“‹„\""
_CLOSE = "»”›\""
_SKIP_AFTER_VERB = frozenset(fold(w) for w in """
lui leur nous vous me te se s' y en encore aussi également egalement ainsi alors pour sa part
cependant toutefois néanmoins notamment par ailleurs d'ailleurs enfin même bien
""".split())
_INF_VERBS = frozenset(fold(w) for w in """
appeler demander exiger accuser promettre menacer annoncer affirmer assurer dire declarer estimer nier
reconnaitre recommander inviter exhorter sommer reclamer proposer prier conseiller ordonner supplier
jurer avouer admettre reprocher implorer
""".split())  # not "souhaiter / espérer" + infinitive: a wish to act ("souhaitaient partir") is not speech
_DOC_NOUNS = frozenset(fold(w) for w in """
informations information sondage étude rapport bilan enquête chiffres données article articles
estimations estimation communiqué propos déclarations déclaration témoignages témoignage
""".split())
_LEAD_CONNECTIVE = __import__("re").compile(r"\s*,?\s*(?:(?:bien qu[e']|mais|et|car|puisque|même si|alors que|tandis que)\s*,?\s*)?(?:(?:dans|en|pour)\s[^,]{1,30},\s*)?")
_SELON_LEAD = __import__("re").compile(r"\s*,?\s*(?:selon|d'après|d’après)\s[^,.;«]{1,60},\s*", __import__("re").I)
_TIME_WORDS = frozenset(fold(w) for w in """
lundi mardi mercredi jeudi vendredi samedi dimanche matin soir soirée nuit jour journée semaine mois
année an hier aujourd'hui demain janvier février mars avril mai juin juillet août septembre octobre
novembre décembre heure heures week-end
""".split())
_SELON_HASHES = np.array([get_string_id(w) for w in ("selon", "d'", "d’", "pour")], dtype=np.uint64)
# string hash -> whether that string is a reporting-verb form or lemma; filled as words are met
_SPEECH_HASH: dict[int, bool] = {}
_SPEECH_HASH_LIMIT = 1 << 20
# "a twitté": the auxiliary itself is sometimes mis-tagged, so its forms are matched as written
_AVOIR_FORMS = frozenset("a ont avait avaient aura auront aurait auraient ayant".split())
# reporting verbs whose past participle takes an attribute or a "de" complement, then an agent:
# "jugé irréaliste par X", "qualifié de dangereux par X", "accusé de fraude par X"
_ATTRIBUTE_VERBS = frozenset({"juger", "qualifier", "estimer", "considerer", "decrire", "accuser"})
_ATTRIBUTE_LINKS = frozenset({"de", "d'", "comme"})
_SUBJECT_PRONOUNS = frozenset({"il", "elle", "ils", "elles"})
_PASSIVE_AUX = frozenset({"été", "ete", "est", "sont", "était", "etait", "étaient", "etaient", "sera", "seront", "fut"})


@dataclass
class RawQuote:
    start: int
    end: int
    type: str
    speaker: str | None
    speaker_type: str
    cue: str
    role: str | None = None
    cue_start: int = -1  # the attribution phrase (for sourcing)
    cue_end: int = -1


def strip_span(text: str, s: int, e: int) -> tuple[int, int]:
    """Trim spaces, trailing punctuation and one pair of outer quotation marks."""
    while True:
        old = (s, e)
        while s < e and (text[s].isspace() or text[s] in ",;:—–-"):
            s += 1
        while e > s and (text[e - 1].isspace() or text[e - 1] in ",;:.—–-"):
            e -= 1
        if e - s >= 2 and text[s] in _OPEN and text[e - 1] in _CLOSE:
            inner = text[s + 1 : e - 1]
            if not any(c in inner for c in _OPEN + _CLOSE):
                s, e = s + 1, e - 1
        if (s, e) == old:
            return s, e


class FrenchQuoteRules:
    def __init__(self, doc: Doc, text: str) -> None:
        self.doc = doc
        self.text = text
        self.quotes = quote_spans(self.text)
        self.sents = sentence_spans(self.text, self.quotes)
        # per-token columns as plain ints: building Token objects for every token costs more
        # than all the rules, so only candidate tokens are ever looked at as Tokens
        cols = doc.to_array([IDX, LENGTH, LOWER, LEMMA])
        self._starts = cols[:, 0].tolist()
        self._ends = (cols[:, 0] + cols[:, 1]).tolist()
        self._sent_ends = [e for _, e in self.sents]
        self._lowers = cols[:, 2]
        self._lemmas = cols[:, 3]
        self.taken: list[tuple[int, int]] = []
        self.out: list[RawQuote] = []

    @cached_property
    def mentions(self) -> Mentions:
        """Built on the first speaker to resolve: many articles quote nobody."""
        return Mentions(self.doc, [(q.open, q.close) for q in self.quotes])

    # -- small helpers -----------------------------------------------------------------
    def tok(self, char: int) -> Token:
        """The token holding `char`, or the next one when `char` is a space."""
        i = bisect_right(self._starts, char) - 1
        if i < 0:
            i = 0
        elif char >= self._ends[i] and i + 1 < len(self._starts):
            i += 1
        return self.doc[i]

    def tokens_in(self, s: int, e: int) -> list[Token]:
        if e <= s:
            return []
        return [t for t in self.doc[self.tok(s).i : self.tok(e - 1).i + 1] if s <= t.idx < e]

    def sent_bounds(self, t: Token) -> tuple[int, int]:
        """The sentence holding t (a token between two sentences belongs to the next one)."""
        if not self.sents:
            return 0, len(self.text)
        return self.sents[min(bisect_right(self._sent_ends, self._starts[t.i]), len(self.sents) - 1)]

    def speech_hashes(self) -> np.ndarray:
        """Hashes of this document's words that are reporting-verb forms or lemmas."""
        if len(_SPEECH_HASH) > _SPEECH_HASH_LIMIT:
            _SPEECH_HASH.clear()
        strings = self.doc.vocab.strings
        words = np.unique(np.concatenate((self._lowers, self._lemmas))).tolist()
        for h in words:
            if h not in _SPEECH_HASH:
                w = strings[h]
                _SPEECH_HASH[h] = speech_lemma(w, w) is not None
        return np.array([h for h in words if _SPEECH_HASH[h]], dtype=np.uint64)

    def candidates(self, hashes: np.ndarray) -> list[Token]:
        """Tokens whose lowercase form or lemma is one of `hashes`, in order."""
        hit = np.isin(self._lowers, hashes) | np.isin(self._lemmas, hashes)
        return [self.doc[i] for i in np.flatnonzero(hit).tolist()]

    def in_quote(self, char: int) -> QuoteSpan | None:
        for q in self.quotes:
            if q.open < char < q.close:
                return q
            if q.open > char:
                break
        return None

    def is_taken(self, s: int, e: int) -> bool:
        return any(a <= s and e <= b for a, b in self.taken)

    def is_speech(self, t: Token) -> str | None:
        lem = speech_lemma(t.lower_, t.lemma_)  # the cheap test first: most tokens stop here
        if lem is None or lem in NOT_SPEECH:
            return None
        if t.pos_ in ("ADP", "DET", "PUNCT", "PRON", "CCONJ", "SCONJ", "NUM"):
            return None
        prev = self.doc[t.i - 1] if t.i > 0 else None
        # the small model tags some verb forms NOUN / ADJ / PROPN ("estime", "twitté"): accept them
        # after a subject, a clitic, an auxiliary, an adverb, a comma or a gerund's "en"
        if t.pos_ in ("NOUN", "PROPN", "ADJ") and not (
                prev is not None and (prev.pos_ in ("PRON", "PROPN", "ADV", "PUNCT", "AUX") or fold(prev.text) == "en"
                                      or prev.lower_ in _AVOIR_FORMS)):
            return None
        if t.pos_ == "PROPN" and t.ent_type_:
            return None
        if "Imp" in t.morph.get("Mood") or "1" in t.morph.get("Person") or fold(t.text).endswith("ons") and t.pos_ == "VERB" and not (prev is not None and fold(prev.text) == "nous"):
            return None  # "Rappelons que …", "Citons …": the writer's own voice
        if "Inf" in t.morph.get("VerbForm") and t.i > 0 and fold(self.doc[t.i - 1].text) == "a" and (
                self.doc[t.i - 1].pos_ == "ADP" or t.i == 1 or self.doc[t.i - 2].text in ".\n,;:"):
            return None  # "À noter que …"
        if t.i > 0 and self.doc[t.i - 1].pos_ == "DET":
            return None
        if t.dep_ == "acl" and t.head.pos_ in ("NOUN", "PROPN") and "Part" in t.morph.get("VerbForm") \
                and "Pres" in t.morph.get("Tense") and t.head.i < t.i:
            return None  # "les appels exhortant X à …": the noun's content, not a speaker's words
        return lem

    def verb_group(self, v: Token) -> tuple[int, int, str]:
        """Char span and text of the cue: auxiliaries + adverbs + verb (+ clitic)."""
        doc = self.doc
        lo = v.i
        k = v.i - 1
        while k >= 0 and (doc[k].pos_ == "AUX" or doc[k].lower_ in _AVOIR_FORMS or doc[k].text.lower() in _CLITICS or (doc[k].pos_ == "ADV" and k > 0 and doc[k - 1].pos_ == "AUX") or fold(doc[k].text) in ("s'", "se", "l'", "n'", "ne")) and k > v.i - 5:
            lo = k
            k -= 1
        hi = v.i
        if v.i + 1 < len(doc) and doc[v.i + 1].text.lower() in _CLITICS:
            hi = v.i + 1
            if doc[hi].text == "-t" and hi + 1 < len(doc):
                hi += 1
        s, e = doc[lo].idx, doc[hi].idx + len(doc[hi].text)
        return s, e, self.text[s:e]

    def is_passive(self, v: Token) -> bool:
        if any(fold(self.doc[k].text) in ("s'", "se") for k in range(max(0, v.i - 4), v.i)):
            return False  # "s'est dit", "s'est félicité": reflexive, not passive
        for c in v.children:
            if c.dep_ == "aux:pass":
                return True
        k = v.i - 1
        while k >= 0 and k >= v.i - 3 and self.doc[k].pos_ in ("AUX", "ADV"):
            if fold(self.doc[k].text) in _PASSIVE_AUX and "Part" in v.morph.get("VerbForm") and "Pres" not in v.morph.get("Tense"):
                return True
            k -= 1
        return False

    def has_aux_or_finite(self, v: Token) -> bool:
        if "Fin" in v.morph.get("VerbForm") or (v.i + 1 < len(self.doc) and self.doc[v.i + 1].text.lower() in _CLITICS):
            return True
        k = v.i - 1
        while k >= 0 and k >= v.i - 4 and (self.doc[k].pos_ in ("AUX", "ADV") or self.doc[k].text in (",",) or self.doc[k].text.lower() in _CLITICS or fold(self.doc[k].text) == "lui"):
            if self.doc[k].pos_ == "AUX" or self.doc[k].text.lower() in _CLITICS:
                return True
            k -= 1
        return False

    def inverted_subject(self, v: Token) -> Token | None:
        """The subject after an incise verb: « … », a déclaré X / estime pour sa part X / -t-il."""
        doc = self.doc
        k = v.i - 1
        while k >= 0 and k >= v.i - 3 and doc[k].pos_ in ("AUX", "ADV", "PRON"):
            if doc[k].text.lower() in _CLITICS and doc[k].text != "-t":
                return doc[k]
            k -= 1
        k = v.i + 1
        s_end = self.sent_bounds(v)[1]
        steps = 0
        while k < len(doc) and doc[k].idx < s_end and steps < 6:
            t = doc[k]
            f = fold(t.text)
            if t.text.lower() in _CLITICS:
                if t.text == "-t" and k + 1 < len(doc):
                    return doc[k + 1]
                return t
            if t.pos_ in ("ADV",) or f in _SKIP_AFTER_VERB or f in ("sa", "son", "part", "a", "à", "au", "aux") and steps < 4:
                if f in ("a", "à", "au", "aux"):  # "a confié à Radio Nord X": skip the addressee
                    k += 1
                    while k < len(doc) and doc[k].pos_ in ("PROPN", "DET", "NOUN") and doc[k].ent_type_ != "PER" and k < v.i + 8:
                        k += 1
                    steps += 1
                    continue
                k += 1
                steps += 1
                continue
            if t.pos_ in ("DET", "NOUN", "PROPN", "PRON", "ADJ", "NUM") and t.text not in (",", "."):
                # head of the phrase: first noun / name
                j = k
                while j < len(doc) and doc[j].pos_ in ("DET", "ADJ", "NUM") and j < k + 3:
                    j += 1
                if j < len(doc) and doc[j].pos_ == "PRON" and fold(doc[j].text) in ("qui", "que", "dont") and j > k:
                    return doc[j - 1]
                if j < len(doc) and doc[j].pos_ in ("NOUN", "PROPN", "PRON"):
                    return doc[j]
                if j - 1 >= k and doc[j - 1].pos_ == "ADJ":
                    return doc[j - 1]
                return None
            return None
        return None

    def _plausible_subject(self, subj: Token) -> bool:
        """An inverted subject that can speak: a clitic, a name, a title, an organisation or a
        person noun; not a date ("ce vendredi") nor a possessed thing ("son forfait")."""
        if subj.text.lower() in _CLITICS:
            return True
        f, lf = fold(subj.text), fold(subj.lemma_)
        if f in _TIME_WORDS or lf in _TIME_WORDS:
            return False
        det = [c for c in subj.children if c.dep_ == "det"]
        if det and (fold(det[0].text) in ("son", "sa", "ses", "leur", "leurs", "mon", "ma", "mes", "notre", "nos")):
            return False
        return bool(subj.ent_type_ or subj.pos_ == "PROPN" or f in ROLE_NOUNS or lf in ROLE_NOUNS or f in ORG_NOUNS
                    or lf in ORG_NOUNS or f in ANON_NOUNS or lf in ANON_NOUNS or f in HUMAN_NOUNS or lf in HUMAN_NOUNS
                    or any(c.ent_type_ == "PER" for c in subj.subtree))

    def _plausible_inverted(self, subj: Token, s_start: int, cue_s: int) -> bool:
        """An incise « …, a annoncé X » needs a speaker-like X and a clause before the comma
        (a finite verb outside a relative clause, or a quoted passage)."""
        if not self._plausible_subject(subj):
            return False
        if subj.text.lower() in _CLITICS:
            return True
        doc = self.doc
        for t in self.tokens_in(s_start, cue_s):
            if t.pos_ in ("VERB", "AUX") and "Fin" in t.morph.get("VerbForm") and not self.in_quote(t.idx):
                before = [fold(x.text) for x in doc[max(0, t.i - 3) : t.i]]
                if not any(b in ("qui", "que", "qu'", "dont", "ou") for b in before):
                    return True
        return any(q.open >= s_start and q.close < cue_s for q in self.quotes)

    def subject(self, v: Token, depth: int = 0) -> Token | None:
        """Head token of whoever speaks through verb v (subject, agent, or clitic)."""
        t = self._subject(v, depth)
        if t is not None and fold(t.text) == "part" and t.i > 0 and fold(self.doc[t.i - 1].text) == "sa":
            return self._left_subject(v)  # "X a pour sa part confié": not "part"
        return t

    def _subject(self, v: Token, depth: int = 0) -> Token | None:
        doc = self.doc
        if v.i + 1 < len(doc) and doc[v.i + 1].text.lower() in _CLITICS:
            k = v.i + 1
            if doc[k].text == "-t" and k + 1 < len(doc):
                k += 1
            return doc[k]
        detached = self._detached_auxiliary(v)
        if detached is not None:
            return self._subject_of_auxiliary(detached)
        passive = self.is_passive(v)
        for c in v.children:
            if c.dep_ == "obl:agent" or (passive and c.dep_ in ("obl", "obl:arg", "obl:mod") and any(fold(x.text) == "par" for x in c.children if x.dep_ == "case")):
                return c
        if passive:
            return None
        for c in v.children:
            if c.dep_ in ("nsubj", "expl:subj") and c.i != v.i and not (fold(c.text) == "part" and c.i > 0 and fold(doc[c.i - 1].text) == "sa") \
                    and fold(c.text) not in ("lui", "leur", "nous", "vous", "me", "te"):
                if c.pos_ == "PRON" and fold(c.text) in ("qui",):
                    if v.dep_ == "acl:relcl":
                        return v.head
                    k = c.i - 1
                    while k >= 0 and self.doc[k].text in (",",):
                        k -= 1
                    return self.doc[k] if k >= 0 and self.doc[k].pos_ in ("PROPN", "NOUN") else None
                return c
        # the head's subject, unless the parse links v to a head in an earlier sentence (it
        # sometimes runs on past a stop: "… le plan B. La mairie a annoncé …")
        if depth < 3 and v.dep_ in ("conj", "advcl", "xcomp", "acl", "parataxis") and v.head.i != v.i \
                and self._starts[v.head.i] >= self.sent_bounds(v)[0]:
            h = v.head
            if v.dep_ == "acl" and h.pos_ in ("NOUN", "PROPN"):
                if "Past" in v.morph.get("Tense"):
                    # "le comportement qualifié d'« anti-sportif »": whoever governs the noun speaks
                    g = h.head
                    while g.i != g.head.i and g.pos_ not in ("VERB",):
                        g = g.head
                    return self._subject(g, depth + 1) if g.pos_ == "VERB" and g.i != v.i else None
                return h
            if v.dep_ == "parataxis" and not ("Part" in v.morph.get("VerbForm")):
                return None
            return self._subject(h, depth + 1)
        return self._left_subject(v)

    def _detached_auxiliary(self, v: Token) -> Token | None:
        """The auxiliary of participle v across a parenthetical: "X a, lui, affirmé", "X a, lors
        d'une réunion, accusé" (the parser then loses the participle's link to its subject)."""
        doc = self.doc
        if v.i < 3 or doc[v.i - 1].text != "," or "Part" not in v.morph.get("VerbForm"):
            return None
        for k in range(v.i - 2, max(0, v.i - 16), -1):
            t = doc[k]
            if t.text == "," and doc[k - 1].lower_ in _AVOIR_FORMS:
                return doc[k - 1]
            if t.text in ".;:" or t.pos_ == "VERB" and "Fin" in t.morph.get("VerbForm"):
                return None
        return None

    def _subject_of_auxiliary(self, aux: Token) -> Token | None:
        """The auxiliary's subject, else the nearest person named before it in its sentence."""
        for c in aux.children:
            if c.dep_ == "nsubj":
                return c
        s_start = self.sent_bounds(aux)[0]
        k = aux.i - 1
        while k >= 0 and self._starts[k] >= s_start:
            if self.doc[k].ent_type_ == "PER" and not self.in_quote(self._starts[k]):
                return self.doc[k]
            k -= 1
        return self._left_subject(aux)

    def _left_subject(self, v: Token) -> Token | None:
        """Fallback: the nearest name / subject on the left, in the same sentence, outside quotes."""
        doc = self.doc
        s_start = self.sent_bounds(v)[0]
        np_head = None
        k = v.i - 1
        while k >= 0 and doc[k].idx >= s_start and k > v.i - 40:
            t = doc[k]
            if self.in_quote(t.idx) or t.text in "«»":
                k -= 1
                continue
            if t.pos_ in ("VERB",) and "Fin" in t.morph.get("VerbForm") and t.lemma_ not in ("avoir", "être") or fold(t.text) in _QUE:
                break
            if fold(t.text) == "part" and k > 1 and fold(doc[k - 1].text) == "sa":
                k -= 3
                continue
            if t.ent_type_ in ("PER", "ORG") or t.dep_ in ("nsubj", "nsubj:pass") and fold(t.text) not in ("qui", "que"):
                return t
            if np_head is None and t.pos_ in ("NOUN", "PROPN") and k >= 1 and doc[k - 1].pos_ == "DET" and (
                    k < 2 or doc[k - 2].pos_ != "ADP" and fold(doc[k - 2].text) not in ("de", "du", "des", "d'")):
                np_head = t  # a noun phrase that is not inside a prepositional phrase
            k -= 1
        return np_head

    def clause_end(self, start: int, sent_end: int) -> int:
        """Where reported content starting at `start` stops: sentence end, ';', or the next attribution."""
        doc = self.doc
        t0 = self.tok(start)
        depth = 0
        for t in doc[t0.i :]:
            if t.idx >= sent_end:
                break
            if t.text in "«“‹":
                depth += 1
            elif t.text in "»”›":
                depth = max(0, depth - 1)
            if depth:
                continue
            if t.text == ";":
                return t.idx
            if t.text == "," or fold(t.text) == "et":
                nxt = t.i + 1
                while nxt < len(doc) and (doc[nxt].pos_ in ("ADV", "AUX") or fold(doc[nxt].text) in ("et", "en", ",", "d'", "de", "avant", "puis", "lui", "leur", "nous", "vous", "l'", "la", "le", "les")):
                    nxt += 1
                if nxt < len(doc) and doc[nxt].idx < sent_end:
                    n = doc[nxt]
                    if fold(t.text) == "et" and self.is_speech(n) and "Fin" in n.morph.get("VerbForm"):
                        return t.idx  # "… et lui demande de …": a second reported act
                    if self.is_speech(n) and ("Part" in n.morph.get("VerbForm") and "Pres" in n.morph.get("Tense") or "Inf" in n.morph.get("VerbForm") and fold(doc[n.i - 1].text) in ("d'", "de") or self.subject(n) is not None and self.subject(n).i > n.i or n.i + 1 < len(doc) and doc[n.i + 1].text.lower() in _CLITICS):
                        return t.idx
                    if fold(n.text) in ("selon",) or (fold(n.text) == "d'" and nxt + 1 < len(doc) and fold(doc[nxt + 1].text) == "apres"):
                        return t.idx
            if fold(t.text) == "selon" and t.idx > start:
                return t.idx
            if fold(t.text) in ("tandis", "pendant") and t.i + 1 < len(doc) and fold(doc[t.i + 1].text) in _QUE and t.idx > start:
                return t.idx
        return sent_end

    def add_reported_clause(self, v: Token, start: int, sent_end: int, cue_tail: str = "") -> None:
        """An indirect quote: what `v` reports, from `start` to the clause's end, said by `v`'s speaker."""
        cue_s, cue_e, cue = self.verb_group(v)
        self.add(start, self.clause_end(start, sent_end), "indirect", self.speaker_of_verb(v), cue + cue_tail, (cue_s, cue_e))

    def add(self, s: int, e: int, kind: str, spk: tuple[str | None, str, str | None], cue: str,
            cue_span: tuple[int, int], mark_taken: bool = True) -> RawQuote | None:
        quoted = kind != "direct" and any(s <= q.open and q.close < e for q in self.quotes)
        s, e = strip_span(self.text, s, e)
        if cue_span[0] >= 0:
            for q in self.out:  # "X a affirmé qu'il n'a jamais dit que …": X's own words, not a new quote
                if q.start <= cue_span[0] < q.end and (spk[0] is None or spk[0] == q.speaker) and q.speaker is not None:
                    return None
        if e - s < 2 or len(self.text[s:e].split()) < 1:
            return None
        seg = self.text[s:e]
        if kind != "direct" and seg[:1] in _OPEN:
            inner = [q for q in self.quotes if s <= q.open and q.close < e]
            rest = self.text[s:e]
            for q in reversed(inner):
                rest = rest[: q.open - s] + rest[q.close + 1 - s :]
            if len(inner) >= 2 and re.fullmatch(r"[\s,;:.]*(?:(?:et|ou|puis|mais)[\s,;:.]*)*", rest):
                # « A » et « B »: each passage is a direct quote of its own
                made = None
                for q in inner:
                    made = self.add(q.start, q.end, "direct", spk, cue, cue_span, mark_taken) or made
                self.taken.append((s, e))
                return made
        if quoted:  # reported content holding quoted words; when it is exactly one quoted
            kind = "mixed"  # passage its marks came off above, and it is still "que « … »": mixed
        for q in self.out:
            if q.start == s and q.end == e:
                return None
        rq = RawQuote(s, e, kind, spk[0], spk[1], cue, spk[2], cue_span[0], cue_span[1])
        self.out.append(rq)
        if mark_taken:
            self.taken.append((s, e))
        return rq

    def speaker_of_verb(self, v: Token) -> tuple[str | None, str, str | None]:
        if "Part" in v.morph.get("VerbForm") and "Pres" in v.morph.get("Tense") and v.i > 0 \
                and (self.doc[v.i - 1].text == "," or fold(self.doc[v.i - 1].text) == "en"):
            s_start = self.sent_bounds(v)[0]
            prior = [r for r in self.out if s_start <= r.cue_start < v.idx and r.speaker]
            if prior:  # "La société précise que …, ajoutant que …"
                r = prior[-1]
                return r.speaker, r.speaker_type, r.role
        subj = self.subject(v)
        if subj is None:
            if v.dep_ == "conj" and not self.is_passive(v):
                s_start = self.sent_bounds(v)[0]
                prior = [r for r in self.out if s_start <= r.cue_start < v.idx and r.speaker]
                if prior:  # "X a affirmé … et lui demande de …"
                    r = prior[-1]
                    return r.speaker, r.speaker_type, r.role
            return None, "none", None
        return self.speaker_from(subj)

    def speaker_from(self, tok: Token | None) -> tuple[str | None, str, str | None]:
        """Resolve a subject; a role phrase followed by ', <Name>' is that person, an organisation
        noun followed by a name in apposition ("l'agence de presse du parti, Xinhua,") that name."""
        if tok is None:
            return None, "none", None
        spk = self.mentions.resolve(tok)
        if spk[1] in ("anonymous", "organization") and tok.pos_ == "NOUN":
            doc = self.doc
            lo, hi = self.mentions._phrase(tok)
            if hi < len(doc) and doc[hi].text == ",":
                for x in doc[hi + 1 : hi + 7]:
                    if x.ent_type_ == "PER":
                        name = self.mentions.resolve(x)
                        return name[0], "person", name[2] or doc[lo:hi].text
                    # the name hangs on the noun as appos or nmod: the parser varies
                    if spk[1] == "organization" and x.pos_ == "PROPN" and x.head.i == tok.i:
                        name = next((e.text for e in self.mentions.ents if e.start <= x.i < e.end), x.text)
                        return self.mentions.org_name(name), "organization", None
                    if x.text in (",", ".", ";", "«"):
                        break
        return spk

    def _que_after_parenthetical(self, comma: int, sent_end: int) -> int | None:
        """The "que" right after the comma closing a parenthetical opened at `comma`, if any."""
        doc = self.doc
        for k in range(comma + 1, min(len(doc) - 1, comma + 20)):
            if doc[k].idx >= sent_end or doc[k].text in ".;:«»":
                return None
            if doc[k].text == ",":
                return k + 1 if fold(doc[k + 1].text) in _QUE else None
        return None

    def add_attribute_by_agent(self, v: Token, sent_end: int) -> bool:
        """"un projet jugé irréaliste par des économistes": the attribute (or what someone is
        accused of) is what the agent says, an indirect quote. One in quotation marks is left to
        the marks pass."""
        participle = "Part" in v.morph.get("VerbForm") and "Past" in v.morph.get("Tense")
        if not (participle or v.pos_ == "ADJ"):  # the tagger makes some participles adjectives
            return False
        doc = self.doc
        par = v.i + 1
        while par < len(doc) and par <= v.i + 8 and doc[par].idx < sent_end and fold(doc[par].text) != "par":
            if doc[par].is_punct or doc[par].pos_ in ("VERB", "AUX"):
                return False
            par += 1
        first = v.i + 1
        while first < par and fold(doc[first].text) in _ATTRIBUTE_LINKS:
            first += 1
        if first >= par or par + 1 >= len(doc) or fold(doc[par].text) != "par" or doc[first].pos_ == "ADP":
            return False  # "estimé à deux millions": a valuation, not an attribute
        if doc[par + 1].pos_ not in ("DET", "PROPN"):
            return False  # "par an", "par habitant": a rate, not an agent
        agent_end = par + 1
        while agent_end < len(doc) and doc[agent_end].idx < sent_end and not (
                doc[agent_end].is_punct or doc[agent_end].pos_ in ("VERB", "AUX", "CCONJ")):
            agent_end += 1
        head = self._phrase_head(doc[par + 1 : agent_end])
        if head is None or not self._plausible_subject(head):
            return False
        cue_s, _, cue = self.verb_group(v)
        last = doc[agent_end - 1]
        return self.add(doc[first].idx, doc[par - 1].idx + len(doc[par - 1].text), "indirect", self.speaker_from(head),
                        cue, (cue_s, last.idx + len(last.text))) is not None

    # -- pass 1: reporting verb + complement --------------------------------------------
    def pass_verbs(self) -> None:
        doc = self.doc
        for v in self.candidates(self.speech_hashes()):
            lem = self.is_speech(v)
            if lem is None or self.in_quote(v.idx):
                continue
            s_start, s_end = self.sent_bounds(v)
            if lem in _ATTRIBUTE_VERBS and self.add_attribute_by_agent(v, s_end):
                continue
            # que-clause
            k, found = v.i + 1, None
            steps = 0
            while k < len(doc) and doc[k].idx < s_end and steps < 9:
                t = doc[k]
                f = fold(t.text)
                if f in _QUE:
                    found = k
                    break
                if t.text == ",":  # "a affirmé, dans un entretien donné mardi, que …"
                    found = self._que_after_parenthetical(k, s_end)
                    if found is not None:
                        break
                if t.text in ".;:«»\"" or (t.pos_ in ("VERB",) and f not in _SKIP_AFTER_VERB) or t.pos_ == "SCONJ":
                    break
                k += 1
                steps += 1
            if found is not None and lem not in INCISE_ONLY:
                if found > v.i + 1 and fold(doc[found - 1].text) in ("ce", "ainsi", "alors", "bien", "tandis", "parce", "avant", "apres", "pendant", "depuis", "sans", "pour", "afin", "dès", "des"):
                    continue
                if found + 1 < len(doc) and doc[found + 1].text in ("'", "’"):
                    found += 1
                cs = doc[found].idx + len(doc[found].text)
                m = _SELON_LEAD.match(self.text, cs)  # "annonce que, selon ses sources, …"
                if m:
                    cs = m.end()
                self.add_reported_clause(v, cs, s_end)
                continue
            # infinitive complement: "appelle à manifester", "a affirmé n'avoir"
            if lem in _INF_VERBS:
                k = v.i + 1
                steps = 0
                # an object, addressee or agent phrase may sit between the verb and its infinitive:
                # "accuse l'Elysée de", "a demandé aux boutiques de", "accusée par X de"
                while k < len(doc) and steps < 14 and doc[k].idx < s_end and (
                        fold(doc[k].text) in _SKIP_AFTER_VERB or doc[k].pos_ in ("ADV", "DET", "PROPN", "NOUN", "ADJ")
                        or fold(doc[k].text) in ("de", "d'", "a", "à", "au", "aux", "ne", "n'", "pas", "plus", "jamais", "par")
                        or doc[k].text in _CLITICS):
                    k += 1
                    steps += 1
                if k < len(doc) and doc[k].idx < s_end and "Inf" in doc[k].morph.get("VerbForm") and not self.in_quote(doc[k].idx):
                    j = k
                    while j - 1 > v.i and (fold(doc[j - 1].text) in ("ne", "n'", "pas", "plus", "jamais") or doc[j - 1].pos_ == "ADV"):
                        j -= 1
                    gap = [x for x in doc[v.i + 1 : j] if x.pos_ in ("DET", "PROPN", "NOUN", "ADJ")]
                    addressee = v.i + 1 < j and fold(doc[v.i + 1].text) in ("a", "au", "aux")
                    if gap and fold(doc[j - 1].text) not in ("de", "d'", "a", "à") and not addressee:
                        continue
                    cs = doc[j].idx
                    self.add_reported_clause(v, cs, s_end)
                    continue
            # "X s'est dit favorable à …", "se dit prêt à …": a stance in the speaker's words
            if lem == "dire" and any(fold(doc[k].text) in ("s'", "se") for k in range(max(0, v.i - 3), v.i)) \
                    and v.i + 1 < len(doc) and doc[v.i + 1].idx < s_end and not self.in_quote(doc[v.i + 1].idx):
                j = v.i + 1
                while j < len(doc) and doc[j].pos_ == "ADV" and doc[j].idx < s_end:
                    j += 1
                if j < len(doc) and doc[j].idx < s_end and doc[j].pos_ in ("ADJ", "ADP", "VERB", "ADV", "PRON", "DET"):
                    cs = doc[j].idx
                    self.add_reported_clause(v, cs, s_end)
                    continue
            # "appelle à la grève", "a appelé à un rassemblement": a call is reported speech
            # (not in the passive: "était invité à un festival" names a guest, not a speaker)
            if lem in ("appeler", "inviter", "exhorter") and v.i + 2 < len(doc) and fold(doc[v.i + 1].text) in ("a", "au", "aux") \
                    and doc[v.i + 1].pos_ == "ADP" and not self.in_quote(doc[v.i + 1].idx) and not self.is_passive(v):
                nxt = doc[v.i + 2] if fold(doc[v.i + 1].text) == "a" else doc[v.i + 1]
                if nxt.pos_ in ("DET", "NOUN") and fold(doc[v.i + 1].text) == "a" or nxt.text.lower() in ("au", "aux"):
                    cs = doc[v.i + 2].idx if fold(doc[v.i + 1].text) == "a" else doc[v.i + 1].idx
                    self.add_reported_clause(v, cs, s_end, cue_tail=" " + doc[v.i + 1].text)
                    continue
            # inverted incise: "<content>, a déclaré X" / "<content>, estime-t-il"
            cue_s, cue_e, cue = self.verb_group(v)
            prev = self.text[:cue_s].rstrip()
            subj = self.inverted_subject(v) if prev.endswith(",") and self.has_aux_or_finite(v) else None
            if subj is not None and any(c.dep_ == "obj" and c.i > subj.i and c.i != subj.i for c in v.children):
                subj = None  # "…, ont démenti le soir même ces allégations": a transitive verb, not an incise
            if subj is not None and not self._plausible_inverted(subj, s_start, cue_s):
                subj = None
            if subj is not None and cue_s > s_start:
                before_end = len(prev) - 1
                seg_start = s_start
                # content starts after the last ';' or ':' of the sentence part
                for ch in (";", ":"):
                    p = self.text.rfind(ch, s_start, before_end)
                    if p >= 0 and self.in_quote(p):
                        continue
                    if p >= 0:
                        seg_start = max(seg_start, p + 1)
                inner = self.text[seg_start:before_end].strip()
                # a content that is one quoted passage is left to the direct pass
                qs = [q for q in self.quotes if q.open >= seg_start and q.close < before_end]
                if qs and self.text[seg_start:before_end].strip().startswith(tuple(_OPEN)) and \
                        self.text[qs[-1].close + 1 : before_end].strip() in ("", ",") and len(qs) == 1:
                    continue
                if len(inner.split()) >= 3 and not self.is_taken(seg_start, before_end):
                    spk = self.speaker_from(subj)
                    lead = self.text[seg_start:before_end]
                    first = qs[0] if qs else None
                    if first is not None and lead.strip().startswith(tuple(_OPEN)) and len(qs) >= 1:
                        rest = self.text[first.close + 1 : before_end]
                        m = _LEAD_CONNECTIVE.match(rest)
                        if m and len(rest[m.end():].split()) >= 3:
                            self.add(first.start, first.end, "direct", spk, cue, (cue_s, cue_e))
                            self.add(first.close + 1 + m.end(), before_end, "indirect", spk, cue, (cue_s, cue_e))
                            continue
                    self.add(seg_start, before_end, "indirect", spk, cue, (cue_s, cue_e))

    # -- pass 2: selon / d'après / pour ---------------------------------------------------
    def pass_selon(self) -> None:
        doc = self.doc
        for t in self.candidates(_SELON_HASHES):
            if t.lower_ not in ("selon", "d'", "d’", "pour"):
                continue
            f = fold(t.text)
            if f == "selon":
                first = t.i + 1
            elif f in ("d'", "d’") and t.i + 1 < len(doc) and fold(doc[t.i + 1].text) == "apres":
                first = t.i + 2
            elif f == "pour" and t.i + 1 < len(doc):
                first = t.i + 1
            else:
                continue
            if self.in_quote(t.idx):
                continue
            s_start, s_end = self.sent_bounds(t)
            while first < len(doc) and doc[first].text == ",":
                first += 1
            if first >= len(doc) or doc[first].idx >= s_end:
                continue
            # the source phrase runs to the next comma (or the end of the sentence)
            k = first
            while k < len(doc) and doc[k].idx < s_end and doc[k].text not in (",", ";", ":", "«", "."):
                k += 1
            phrase = doc[first:k]
            if not len(phrase):
                continue
            head = self._phrase_head(phrase)
            if head is None:
                continue
            hf = fold(head.text)
            is_pron = head.pos_ == "PRON" and hf in ("lui", "elle", "eux", "elles")
            has_per = any(x.ent_type_ == "PER" for x in phrase)
            if f == "pour":
                # "Pour elle, …" / "Pour Lucie Perrin, …": a person's opinion
                if not (is_pron or (has_per and head.ent_type_ == "PER")) or k >= len(doc) or doc[k].text != ",":
                    continue
                before = self.text[s_start : t.idx].strip()
                if before and not before.endswith(","):
                    continue
            close_per = any(x.ent_type_ == "PER" and x.i - head.i <= 4 and not any(y.pos_ == "ADP" for y in doc[head.i : x.i])
                            for x in phrase)
            phrase_ok = (is_pron or head.ent_type_ in ("PER", "ORG", "LOC", "MISC") or head.pos_ == "PROPN" or close_per
                         or hf in ORG_NOUNS or hf in ANON_NOUNS or hf in ROLE_NOUNS or hf in SPEECH_NOUNS
                         or hf in _DOC_NOUNS or any(fold(x.text) in ("qu'", "que") for x in phrase[:2]))
            if not phrase_ok:
                continue
            # who: a named person anywhere in the phrase wins; then the phrase head
            spk = self._phrase_speaker(phrase, head)
            # skip an apposition / participle right after the phrase: ", interrogé par X,"
            after = k
            if after < len(doc) and doc[after].text == ",":
                nxt = after + 1
                j = nxt
                while j < len(doc) and doc[j].idx < s_end and doc[j].text not in (",", ".", ";", "«"):
                    j += 1
                seg = doc[nxt:j]
                if len(seg) and j < len(doc) and doc[j].text == "," and (
                        "Part" in seg[0].morph.get("VerbForm") and "Past" in seg[0].morph.get("Tense")
                        or (seg[0].pos_ in ("NOUN",) and len(seg) <= 8) or fold(seg[0].text) in ROLE_NOUNS
                        or fold(seg[0].text) in ("qui", "dont") or (seg[0].pos_ == "PROPN" and len(seg) <= 4)):
                    after = j
            cue_s, cue_e = t.idx, doc[k - 1].idx + len(doc[k - 1].text)
            cue = self.text[t.idx : doc[first - 1].idx + len(doc[first - 1].text)] if f != "pour" else t.text
            lead = self.text[s_start : t.idx].strip(" ,")
            if fold(lead).endswith(("que", "qu'", "qu")) and f != "pour":
                continue
            lead_toks = [x for x in doc[self.tok(s_start).i : t.i] if not x.is_punct]
            lead_is_adverbial = not any(x.pos_ in ("VERB", "AUX") and ("Fin" in x.morph.get("VerbForm") or "Part" in x.morph.get("VerbForm")) for x in lead_toks) and len(lead_toks) <= 8
            if not lead or lead_is_adverbial or f == "pour":
                cs = doc[after].idx + 1 if after < len(doc) and doc[after].text == "," else (doc[after].idx if after < len(doc) else s_end)
                ce = self.clause_end(cs, s_end)
            else:
                cs = s_start
                for q in self.out:  # after a previous attribution in the same sentence
                    if s_start <= q.cue_end <= t.idx and q.cue_end > cs:
                        cs = q.cue_end
                ce = t.idx
            if ce - cs < 3 or self.is_taken(cs, ce):
                continue
            # "selon X, « … »": the quoted words themselves (direct); "selon X, … « … » …": mixed
            kind = "direct" if self._one_passage(cs, ce) else "indirect"
            self.add(cs, ce, kind, spk, cue.strip(), (cue_s, cue_e))

    def _one_passage(self, s: int, e: int) -> bool:
        """Whether text[s:e] is one passage in quotation marks, give or take spaces and punctuation."""
        inner_s, inner_e = strip_span(self.text, s, e)  # takes the marks off only in that case
        return any(s <= q.open and q.close < e and q.start <= inner_s and inner_e <= q.end for q in self.quotes)

    def _phrase_head(self, phrase) -> Token | None:
        for x in phrase:
            if x.pos_ in ("PROPN", "NOUN", "PRON") and fold(x.text) not in ("ce", "qu'", "que"):
                return x
        return None

    def _phrase_speaker(self, phrase, head: Token) -> tuple[str | None, str, str | None]:
        if head.pos_ == "NOUN" and fold(head.text) in ORG_NOUNS:
            return self.speaker_from(head)
        for e in self.mentions.ents:
            if e.start >= phrase.start and e.end <= phrase.end and e.label_ == "PER":
                return self.mentions.resolve(e.root)
        hf = fold(head.text)
        if hf in _DOC_NOUNS:
            for e in self.mentions.ents:
                if e.start >= phrase.start and e.end <= phrase.end and e.label_ in ("ORG",):
                    return self.mentions.org_name(e.text), "organization", None
            for x in phrase:
                if fold(x.text) in ORG_NOUNS or fold(x.text) in ANON_NOUNS:
                    return self.mentions.resolve(x)
            # "selon les propos du directeur, Marc Aubert, …": a name in apposition
            nxt = phrase.end
            if nxt < len(self.doc) and self.doc[nxt].text == ",":
                for x in self.doc[nxt + 1 : nxt + 6]:
                    if x.ent_type_ == "PER":
                        return self.mentions.resolve(x)
                    if x.text in (",", ".", "«"):
                        break
            for x in phrase:
                if fold(x.text) in ROLE_NOUNS:
                    return self.speaker_from(x)
            return None, "none", None
        return self.mentions.resolve(head)

    # -- pass 3: quotation marks -------------------------------------------------------------
    def pass_marks(self) -> None:
        doc, text = self.doc, self.text
        last_speaker: tuple[tuple[str | None, str, str | None], int] | None = None
        for qi, q in enumerate(self.quotes):
            if self.is_taken(q.start, q.end):
                last_speaker = self._speaker_at(q.start) or last_speaker
                continue
            inner = text[q.start : q.end]
            n_words = len(inner.split())
            qtoks = self.tokens_in(q.start, q.end)
            has_verb = any(t.pos_ in ("VERB", "AUX") and "Fin" in t.morph.get("VerbForm") for t in qtoks)
            s_start, s_end = self.sent_bounds(self.tok(q.open))
            found = None
            # (a) cue after: « … », a déclaré X / a-t-il ajouté / selon X
            k = self._tok_index_after(q.close)
            steps = 0
            while k is not None and k < len(doc) and steps < 5:
                t = doc[k]
                if t.text in (",", "»") or t.pos_ in ("AUX", "ADV") or fold(t.text) in ("s'", "se", "n'", "ne", "lui", "leur") or t.text.lower() in _CLITICS:
                    k += 1
                    steps += 1
                    continue
                lem = self.is_speech(t)
                if lem and self.has_aux_or_finite(t) and self.inverted_subject(t) is not None:
                    subj = self.inverted_subject(t)
                    cs, ce, cue = self.verb_group(t)
                    spk = self.speaker_from(subj) if subj is not None else (last_speaker[0] if last_speaker else (None, "none", None))
                    found = (spk, cue, (cs, ce))
                elif fold(t.text) in ("selon", "d'"):
                    j = k + (1 if fold(t.text) == "selon" else 2)
                    e = j
                    while e < len(doc) and doc[e].text not in (",", ".", ";", "«"):
                        e += 1
                    ph = doc[j:e]
                    head = self._phrase_head(ph) if len(ph) else None
                    if head is not None:
                        spk = self._phrase_speaker(ph, head)
                        if fold(head.text) in SPEECH_NOUNS and spk[0] is None:
                            for x in ph:
                                if x.ent_type_ == "PER":
                                    spk = self.mentions.resolve(x)
                                    break
                            if spk[0] is None and e < len(doc) and doc[e].text == ",":
                                nx = doc[e + 1 : e + 6]
                                for x in nx:
                                    if x.ent_type_ == "PER":
                                        spk = self.mentions.resolve(x)
                                        break
                        found = (spk, t.text, (t.idx, doc[e - 1].idx + len(doc[e - 1].text)))
                break
            # (b) cue before: X a déclaré : « … » / X : « … » / X a affirmé « … »
            if found is None:
                found = self._cue_before(q, s_start, n_words, has_verb)
            # (c) an incise inside the marks: « A, a-t-il ajouté, B » is one quote
            if found is None:
                found = self._incise_inside(q, qtoks)
            # a quoted sentence standing alone, said by (d) the subject of the sentence before it,
            # or (e) the previous speaker, continued
            stands_alone = (has_verb or n_words >= 6) and (q.close - q.open + 1) >= 0.6 * (s_end - s_start)
            if found is None and stands_alone:
                found = self._subject_of_previous_sentence(s_start)
            if found is None and stands_alone and last_speaker is not None:
                spk, where = last_speaker
                if text[where:q.open].count("\n") <= 2 and q.open - where < 1500:
                    found = (spk, "", (-1, -1))
            if found is None:
                continue
            spk, cue, cspan = found
            if not has_verb and n_words <= 6 and not self._fragment_ok(q, cspan):
                continue
            rq = self.add(q.start, q.end, "direct", spk, cue, cspan)
            if rq is not None and spk[0] is not None:
                last_speaker = (spk, q.close)

    def _subject_of_previous_sentence(self, s_start: int):
        """"Le ministre a pris la parole. « … »": the speaker of a quote standing alone is the
        subject of the main clause before it, when that sentence is in the same paragraph, quotes
        nobody itself (else the quote continues that speaker) and its subject can speak."""
        prev = bisect_right(self._sent_ends, s_start) - 1
        if prev < 0:
            return None
        prev_start, prev_end = self.sents[prev]
        if "\n" in self.text[prev_end:s_start] or any(prev_start <= q.open < prev_end for q in self.quotes):
            return None
        for t in self.tokens_in(prev_start, prev_end):
            # the parser labels some active subjects nsubj:pass ("Elle a répondu"): the verb decides
            if t.dep_ in ("nsubj", "nsubj:pass") and t.head.dep_ == "ROOT" and not self.is_passive(t.head):
                if not (fold(t.text) in _SUBJECT_PRONOUNS or self._plausible_subject(t)):
                    return None
                spk = self.speaker_from(t)
                return (spk, "", (-1, -1)) if spk[0] is not None else None
        return None

    def _incise_inside(self, q: QuoteSpan, qtoks: list[Token]):
        """Speaker and cue of an incise set off by commas inside the marks (« A, dit-il, B »,
        « A, a déclaré le maire. »): a reporting verb after a comma, its subject inverted, and
        nothing but that subject before the next comma or the end of the quote."""
        text = self.text
        for t in qtoks:
            if not self.is_speech(t) or not self.has_aux_or_finite(t):
                continue
            cs, ce, cue = self.verb_group(t)
            if cs <= q.start or not text[q.start : cs].rstrip().endswith(","):
                continue
            subj = self.inverted_subject(t)
            if subj is None or not self._plausible_subject(subj):
                continue
            comma = text.find(",", ce, q.end)
            incise_end = q.end if comma < 0 else comma
            if len(text[ce:incise_end].split()) > 8 or any(
                    self.is_speech(x) for x in self.tokens_in(ce, incise_end) if x.i != subj.i):
                continue
            return self.speaker_from(subj), cue, (cs, ce)
        return None

    def _speaker_at(self, pos: int):
        for r in self.out:
            if r.start <= pos < r.end and r.speaker:
                return ((r.speaker, r.speaker_type, r.role), r.end)
        return None

    def _tok_index_after(self, char: int) -> int | None:
        for t in self.doc[self.tok(char).i :]:
            if t.idx > char:
                return t.i
        return None

    def _fragment_ok(self, q: QuoteSpan, cspan: tuple[int, int]) -> bool:
        """A short fragment needs a reporting verb right next to it or governing it."""
        doc = self.doc
        if cspan[0] >= q.close:  # incise right after the quote
            return cspan[0] - q.close <= 4
        qt = self.tokens_in(q.start, q.end)
        if not qt:
            return False
        roots = [t for t in qt if not (q.start <= t.head.idx < q.end) or t.head.i == t.i]
        for r in roots:
            h, hops = r, 0
            while hops < 4 and h.head.i != h.i:
                h = h.head
                hops += 1
                if h.idx >= q.start and h.idx < q.end:
                    continue
                lem = self.is_speech(h)
                if lem and lem in FRAGMENT_VERBS:
                    return True
                if h.pos_ == "VERB" and not (fold(h.text) in ("qualifie", "qualifié", "décrit")):
                    break
        # "qualifiant la décision de « … »", "parle d'un « … »": a reporting verb just before
        k = self.tok(q.open).i - 1
        for t in list(doc[max(0, k - 5) : k + 1])[::-1]:
            lem = self.is_speech(t)
            if lem and lem in FRAGMENT_VERBS:
                return True
            if t.text in ".;":
                break
        return False

    def _cue_before(self, q: QuoteSpan, s_start: int, n_words: int, has_verb: bool):
        doc, text = self.doc, self.text
        before = text[s_start : q.open].rstrip()
        open_tok = self.tok(q.open)
        if before.endswith(":"):
            colon = self.tok(s_start + len(before) - 1)
            # reporting verb before the colon
            for t in list(doc[max(self.tok(s_start).i, colon.i - 14) : colon.i])[::-1]:
                if self.in_quote(t.idx):
                    break
                if self.is_speech(t):
                    cs, ce, cue = self.verb_group(t)
                    return self.speaker_of_verb(t), cue, (cs, ce)
            # "X : « … »" or "Sujet verbe … : « … »"
            toks = [t for t in doc[self.tok(s_start).i : colon.i] if not self.in_quote(t.idx)]
            if toks and (has_verb or n_words >= 4):
                prev = toks[-1]
                if prev.ent_type_ in ("PER", "ORG") and len(toks) <= 6:
                    return self.mentions.resolve(prev), ":", (colon.idx, colon.idx + 1)
                for t in toks:
                    if t.dep_ in ("nsubj",) and t.head.pos_ in ("VERB", "AUX", "ADJ", "NOUN") and fold(t.text) not in ("on", "ce", "c'", "qui", "cela"):
                        spk = self.mentions.resolve(t)
                        if spk[1] in ("person", "organization", "anonymous") and spk[0]:
                            return spk, ":", (colon.idx, colon.idx + 1)
                        break
            return None
        # reporting verb right before the mark (allowing a short object: « qualifie X de »)
        k = open_tok.i - 1
        for t in list(doc[max(self.tok(s_start).i, k - 5) : k + 1])[::-1]:
            if self.in_quote(t.idx) or t.text in ".;":
                break
            lem = self.is_speech(t)
            if lem:
                if lem in INCISE_ONLY:
                    break
                cs, ce, cue = self.verb_group(t)
                return self.speaker_of_verb(t), cue, (cs, ce)
            if t.pos_ == "VERB" and t.i < k - 1:
                break
        # incise between two halves: « A », a-t-il dit, « B »
        for r in reversed(self.out):
            if r.end <= q.open and q.open - r.end < 60 and r.type == "direct" and r.cue_start > r.end - 1:
                gap = text[r.end : q.open]
                if r.cue_end <= q.open and gap.count(".") == 0:
                    return (r.speaker, r.speaker_type, r.role), r.cue, (r.cue_start, r.cue_end)
            break
        return None

    def run(self) -> list[RawQuote]:
        self.pass_verbs()
        self.pass_selon()
        self.pass_marks()
        self.out.sort(key=lambda r: (r.start, -r.end))
        return self.out


def extract_quotes(doc: Doc, text: str) -> tuple[list[RawQuote], list[tuple[int, int]]]:
    """Quotes of a parsed French document, and its sentence spans (reused for sourcing).

    `text` is the string `doc` was parsed from (`doc.text` would re-join every token)."""
    rules = FrenchQuoteRules(doc, text)
    return rules.run(), rules.sents
