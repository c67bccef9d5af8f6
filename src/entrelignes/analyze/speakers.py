"""Who speaks: turning a subject phrase into a speaker, with rule-based coreference.

A `Mentions` table is built once per document from spaCy's entities and parse:
- every PER entity becomes a person mention, with a guessed gender (honorifics, the gender of
  its title or apposition, the participles that agree with it — "est arrivée", ", élue du Var" —,
  common first-name endings) and its role ("procureur de Paris");
- names are grouped by their last token, and each group is represented by its most complete
  form ("Castaner" -> "Christophe Castaner");
- ORG entities and plural subjects naming people or organisations become group mentions,
  antecedents of "ils"/"elles", which agree in number ("les militants, liés à l'association X,
  … ont-ils dit": the militants, not the association);
  an acronym stands for the organisation whose initials it is ("CPI" -> "Cour pénale internationale").

`Mentions.resolve(token)` maps a subject head to (speaker, speaker_type, role): pronouns go to
the nearest earlier person of the same gender (anywhere before, within a few paragraphs), titles
("le chef de l'Etat syrien", "le ministre", "le magistrat" for a "procureur") to the earlier person
with that role, organisation nouns to organisations, other common nouns to
anonymous sources, written as in the text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
from spacy.attrs import DEP, POS
from spacy.parts_of_speech import NOUN
from spacy.strings import get_string_id
from spacy.tokens import Doc, Span, Token

from entrelignes.analyze.lexicon import (
    ANON_NOUNS,
    FEMININE_HONORIFICS,
    HONORIFICS,
    HUMAN_NOUNS,
    MASCULINE_HONORIFICS,
    ORG_NOUNS,
    ROLE_HYPERNYMS,
    ROLE_NOUNS,
    ROLE_SYNONYMS,
    fold,
)

_FEM_ENDINGS = ("ine", "ette", "elle", "ie", "ée", "ène", "ise", "anne", "enne", "ia", "na", "ra", "da", "la", "ta", "ssa")
_MASC_EXCEPTIONS = frozenset(fold(n) for n in "Rémi Jérémie Mattia Sacha Luca Nicola Joshua Elie Élie Noa Attila Barack Nikola Ilia Andrea Mustafa Joshua Yahia Moussa Issa".split())
_PRONOUNS_M = frozenset({"il", "lui", "-il", "-t-il", "celui-ci", "ce dernier"})
_PRONOUNS_F = frozenset({"elle", "-elle", "-t-elle", "celle-ci", "cette derniere"})
_PRONOUNS_PL = frozenset({"ils", "-ils", "-t-ils", "elles", "-elles", "-t-elles", "eux", "ceux-ci"})
_SUBJECT_DEPS = np.array([get_string_id(d) for d in ("nsubj", "obl:agent", "nsubj:pass")], dtype=np.uint64)
_ON = frozenset({"on", "-on", "-t-on"})
_DEMONSTRATIVES = frozenset({"celui", "celle", "ceux", "celles"})


def clean(name: str) -> str:
    """A name without invisible format characters (U+200F ...) and stray spaces."""
    return " ".join("".join(c for c in name if unicodedata.category(c) != "Cf").split())


_ANAPHORIC_ORG = frozenset(fold(w) for w in "association organisation ong agence groupe entreprise société compagnie firme institution fédération parti syndicat".split())


@dataclass
class Person:
    start: int
    end: int
    name: str  # as written
    canonical: str  # most complete form in the document
    gender: str | None  # "m", "f" or None
    role: str | None
    role_keys: frozenset[str]


@dataclass
class Group:
    start: int
    name: str
    type: str  # organization | anonymous
    plural: bool | None  # None: a bare name, whose number the text does not show ("Greenpeace")


def _name_tokens(name: str) -> list[str]:
    return [t for t in name.replace("-", " - ").split() if fold(t) not in HONORIFICS and t != "-"]


def _first_name_gender(name: str) -> str | None:
    toks = _name_tokens(name)
    if len(toks) < 2:
        return None
    first = fold(toks[0].split("-")[-1]) if "-" not in toks[0] else fold(toks[0].split("-")[0])
    if first in _MASC_EXCEPTIONS or len(first) < 3:
        return None
    if first.endswith(_FEM_ENDINGS):
        return "f"
    return None


def role_keys(words: list[Token] | Span) -> frozenset[str]:
    """Normalised role keys of a title phrase: 'le chef de l'Etat syrien' -> {'president', 'syrien'}."""
    toks = [t for t in words if not t.is_punct]
    text = " ".join(fold(t.text) for t in toks).replace("' ", "'")
    keys: set[str] = set()
    for phrase, key in ROLE_SYNONYMS.items():
        if phrase in text:
            keys.add(key)
    for t in toks:
        f = fold(t.text)
        if f in ROLE_NOUNS:
            keys.add(f.rstrip("e") if f.endswith(("ee", "te")) and f[:-1] in ROLE_NOUNS else f)
            keys.update(ROLE_HYPERNYMS.get(f, ()))
        elif t.pos_ == "ADJ":
            keys.add("adj:" + fold(t.lemma_ or t.text))
    return frozenset(keys)


def _gender_of_tokens(toks) -> str | None:
    """Gender of a title phrase: its role noun's, else its article's ("la secrétaire d'Etat")."""
    for t in toks:
        if t.pos_ == "NOUN" and fold(t.text) in ROLE_NOUNS:
            g = t.morph.get("Gender")
            if g:
                return "f" if g[0] == "Fem" else "m"
    for t in toks:
        if t.pos_ == "DET" and fold(t.text) in ("le", "la", "un", "une", "du"):
            g = t.morph.get("Gender")
            if g:
                return "f" if g[0] == "Fem" else "m"
    return None


_ETRE = frozenset(fold(w) for w in "est sont était étaient été sera seront fut serait être".split())


def _participle_gender(t: Token) -> str | None:
    """A past participle's gender from its ending (the tagger's Gender is unreliable here):
    "arrivée", "élue", "mise" are feminine; "arrivé", "élu", "mis" masculine."""
    if "Part" not in t.morph.get("VerbForm") or "Past" not in t.morph.get("Tense"):
        return None
    word = fold(t.text).removesuffix("s")
    return "f" if word.endswith("e") else "m"


def _agreement_gender(ent: Span) -> str | None:
    """The gender a name's agreeing words give it: a participle with être it is the subject of
    ("Anne Roux est arrivée", "a été réélue") or one set beside it ("Anne Roux, élue du Var")."""
    root = ent.root
    if root.dep_ in ("nsubj", "nsubj:pass"):
        head = root.head
        if any(c.dep_ in ("aux:pass", "cop") or (c.dep_ == "aux:tense" and fold(c.text) in _ETRE)
               for c in head.children):
            g = _participle_gender(head)
            if g:
                return g
    for c in root.children:
        if c.dep_ in ("acl", "amod") and c.i >= ent.end:
            g = _participle_gender(c)
            if g:
                return g
    return None


def _names_people(noun: Token) -> bool:
    """Whether a common noun names people or organisations: the word lists (by form or lemma:
    "infirmiers"), and the adherents and trades in -iste ("islamistes", "journalistes")."""
    words = (fold(noun.text), fold(noun.lemma_))
    return any(w in ORG_NOUNS or w in ANON_NOUNS or w in HUMAN_NOUNS or w in ROLE_NOUNS for w in words) \
        or words[0].removesuffix("s").endswith("iste")


def _names_a_group(noun: Token) -> bool:
    """A people noun followed by the group's name ("les rebelles Xyz"): an organisation."""
    nxt = noun.i + 1
    return nxt < len(noun.doc) and noun.doc[nxt].pos_ == "PROPN" and noun.doc[nxt].head.i == noun.i


def _entity_plural(ent: Span) -> bool | None:
    """An organisation's grammatical number: its article's ("les Verts") or that of the common
    noun it names ("l'organisation Al-Qaïda" is singular); None for a bare name."""
    head = ent.root.head
    if head.i < ent.start and head.pos_ == "NOUN":
        return "Plur" in head.morph.get("Number")
    if ent.start > 0 and ent.doc[ent.start - 1].pos_ == "DET":
        number = ent.doc[ent.start - 1].morph.get("Number")
        return "Plur" in number if number else None
    return None


_NAME_LINKS = frozenset("de du des la le les l d et en pour sur aux au a".split())


def _acronym_expansions(org_names: list[str]) -> dict[str, str]:
    """Acronyms of the document's organisations mapped to the full names whose initials they
    are: "FMI" -> "Fonds monétaire international" (linking words such as "de", "la" skipped)."""
    acronyms = {clean(n) for n in org_names if n.isupper() and 2 <= len(n) <= 8 and n.isalpha()}
    out: dict[str, str] = {}
    for name in org_names:
        words = [w for w in fold(clean(name)).replace("'", " ").replace("-", " ").split() if w not in _NAME_LINKS]
        if len(words) < 2:
            continue
        initials = "".join(w[0] for w in words).upper()
        if initials in acronyms and len(clean(name)) > len(out.get(initials, "")):
            out[initials] = clean(name)
    return out


class Mentions:
    def __init__(self, doc: Doc, quoted: list[tuple[int, int]] | None = None) -> None:
        self.doc = doc
        self.ents = list(doc.ents)  # Doc.ents builds new Span objects on every access
        self.quoted = quoted or []
        self.persons: list[Person] = []
        self.groups: list[Group] = []
        by_last: dict[str, str] = {}
        ents = [e for e in self.ents if e.label_ == "PER"]
        for e in ents:
            toks = _name_tokens(e.text)
            if not toks:
                continue
            last = fold(toks[-1])
            best = by_last.get(last)
            if best is None or len(_name_tokens(best)) < len(toks):
                by_last[last] = " ".join(toks) if "-" not in e.text else e.text.strip()
        self._by_last = by_last
        for e in ents:
            toks = _name_tokens(e.text)
            if not toks:
                continue
            role_toks = self._role_tokens(e)
            gender = None
            before = doc[max(0, e.start - 1) : e.start]
            if before and fold(before[0].text) in FEMININE_HONORIFICS:
                gender = "f"
            elif before and fold(before[0].text) in MASCULINE_HONORIFICS:
                gender = "m"
            if gender is None and role_toks:
                gender = _gender_of_tokens(role_toks)
            if gender is None:
                gender = _agreement_gender(e)
            if gender is None:
                gender = _first_name_gender(by_last.get(fold(toks[-1]), e.text))
            role = " ".join(t.text for t in role_toks).replace("' ", "'").strip(" ,") or None
            self.persons.append(Person(e.start_char, e.end_char, e.text, by_last[fold(toks[-1])], gender,
                                       role, role_keys(role_toks) if role_toks else frozenset()))
        # propagate gender / roles across mentions of the same person
        info: dict[str, tuple[str | None, str | None, frozenset[str]]] = {}
        for p in self.persons:
            g, r, k = info.get(p.canonical, (None, None, frozenset()))
            info[p.canonical] = (g or p.gender, r or p.role, k | p.role_keys)
        for p in self.persons:
            g, r, k = info[p.canonical]
            p.gender, p.role, p.role_keys = p.gender or g, p.role or r, k
        self._expansions = _acronym_expansions([e.text for e in self.ents if e.label_ == "ORG"])
        for e in self.ents:
            if e.label_ == "ORG":
                self.groups.append(Group(e.start_char, self.org_name(e.text), "organization", _entity_plural(e)))
        # plural subjects / agents that are organisations or groups (antecedents of "ils"), and
        # unnamed people who act as subjects ("le coupable", "un témoin"), for "il" / "elle"
        self.humans: list[tuple[int, str]] = []
        cols = doc.to_array([POS, DEP])
        subjects = (cols[:, 0] == NOUN) & np.isin(cols[:, 1], _SUBJECT_DEPS)  # no Token built for the rest
        for i in np.flatnonzero(subjects).tolist():
            t = doc[i]
            dep = t.dep_
            f = fold(t.text)
            number = t.morph.get("Number")
            if dep in ("nsubj", "obl:agent") and "Plur" in number and _names_people(t):
                kind = "organization" if f in ORG_NOUNS or _names_a_group(t) else "anonymous"
                self.groups.append(Group(t.idx, self.np_text(t), kind, True))
            if dep in ("nsubj", "nsubj:pass") and "Sing" in number and (f in ANON_NOUNS or f in ROLE_NOUNS):
                self.humans.append((t.idx, self.np_text(t)))
        self.groups.sort(key=lambda g: g.start)

    # -- helpers -------------------------------------------------------------------------
    def _role_tokens(self, ent: Span) -> list[Token]:
        """The title of a named person: its governing noun ('le président syrien X') or apposition."""
        doc = self.doc
        head = ent.root
        toks: list[Token] = []
        h = head.head
        if head.dep_ in ("appos", "flat:name", "nmod") and h.pos_ == "NOUN" and h.i < ent.start and fold(h.text) in ROLE_NOUNS:
            lo = min(t.i for t in h.subtree)
            toks = [t for t in doc[lo : ent.start] if not t.is_punct]
        if not toks:
            # noun phrase right before the name: "le procureur de Paris, François Molins"
            j = ent.start - 1
            if j >= 0 and doc[j].text == ",":
                j -= 1
            k = j
            while k >= 0 and k > ent.start - 8 and not doc[k].is_punct and doc[k].pos_ in ("NOUN", "ADJ", "ADP", "DET", "PROPN"):
                k -= 1
            cand = [t for t in doc[k + 1 : j + 1]]
            if any(fold(t.text) in ROLE_NOUNS for t in cand):
                toks = cand
        if not toks:
            for c in head.children:
                if c.dep_ == "appos" and c.i > ent.end - 1 and (fold(c.text) in ROLE_NOUNS or c.pos_ == "NOUN"):
                    sub = [t for t in c.subtree if t.i >= ent.end]
                    end = next((t.i for t in sub if t.text == "," and t.i > c.i), None)
                    toks = [t for t in sub if (end is None or t.i < end) and not t.is_punct][:10]
                    break
            if not toks and ent.end < len(doc) and doc[ent.end].text == ",":
                k = ent.end + 1
                seg = []
                while k < len(doc) and k < ent.end + 12 and doc[k].text not in (",", ".", ";", ":", "«", "»") and doc[k].pos_ not in ("VERB", "AUX"):
                    seg.append(doc[k])
                    k += 1
                if seg and any(fold(t.text) in ROLE_NOUNS for t in seg[:3]):
                    toks = seg
        return toks

    def org_name(self, name: str) -> str:
        """An organisation's most complete name in the document: "CPI" -> "Cour pénale internationale"."""
        name = clean(name)
        return self._expansions.get(name, name)

    def canonical(self, name: str) -> str:
        toks = _name_tokens(name)
        if not toks:
            return name
        return self._by_last.get(fold(toks[-1]), " ".join(toks))

    def np_text(self, tok: Token, stop_at_comma: bool = True) -> str:
        sub = list(tok.subtree)
        lo, hi = sub[0].i, sub[-1].i
        if stop_at_comma:
            for k in range(tok.i + 1, hi + 1):
                if self.doc[k].text in (",", ";", ":", "«", "»", "(") or self.doc[k].pos_ in ("VERB", "AUX") and self.doc[k].dep_ not in ("amod", "acl"):
                    hi = k - 1
                    break
            for k in range(tok.i - 1, lo - 1, -1):
                if self.doc[k].text in (",", ";", ":", "«", "»"):
                    lo = k + 1
                    break
        while lo < tok.i and self.doc[lo].pos_ == "ADP":
            lo += 1
        span = self.doc[lo : hi + 1]
        return span.text

    def _quoted(self, pos: int) -> bool:
        return any(a < pos < b for a, b in self.quoted)

    def person_before(self, pos: int, gender: str | None) -> Person | None:
        """Latest person before pos; with a gender, a matching one within 600 characters wins
        over a later one of unknown gender."""
        cands = [p for p in self.persons if p.start < pos and not self._quoted(p.start)]
        if gender:
            cands = [p for p in cands if p.gender in (None, gender)]
            near = [p for p in cands if p.gender == gender and pos - p.start < 600]
            if near:
                return near[-1]
        return cands[-1] if cands else None

    def group_before(self, pos: int, plural: bool = False) -> Group | None:
        """Latest group before pos; with `plural`, the latest plural one if there is one (a
        group named in the singular, "l'organisation X", is not what "ils" stands for)."""
        best = best_plural = None
        for g in self.groups:
            if g.start >= pos:
                break
            if not self._quoted(g.start):
                best = g
                if g.plural:
                    best_plural = g
        return best_plural or best if plural else best

    # -- resolution ----------------------------------------------------------------------
    def resolve(self, tok: Token) -> tuple[str | None, str, str | None]:
        """(speaker, speaker_type, role) for the head token of a subject / agent / 'selon' object."""
        doc = self.doc
        f = fold(tok.text)
        if f in _DEMONSTRATIVES and tok.i + 1 < len(doc) and fold(doc[tok.i + 1].text) in ("qui", "que", "qu'", "dont"):
            # "celui qui dirige le groupe": described here, not someone named before
            return clean(self.np_text(tok, stop_at_comma=False)), "anonymous", None
        if tok.pos_ == "PRON" or f in _PRONOUNS_M | _PRONOUNS_F | _PRONOUNS_PL | _ON:
            if f in _ON or f in ("qui", "que", "ce", "c'", "cela", "ca"):
                return None, "none", None
            if f in _PRONOUNS_PL:
                g = self.group_before(tok.idx, plural=True)
                if g is not None:
                    return g.name, g.type, None
                p = self.person_before(tok.idx, None)
                return (p.canonical, "person", p.role) if p else (None, "none", None)
            gender = "f" if f in _PRONOUNS_F else "m" if f in _PRONOUNS_M else None
            p = self.person_before(tok.idx, gender) or self.person_before(tok.idx, None)
            if p is not None and tok.idx - p.start < 3000:
                return clean(p.canonical), "person", p.role
            h = next((h for h in reversed(self.humans) if h[0] < tok.idx), None)
            if h is not None:  # "Le coupable … Il aurait crié « … »"
                return h[1], "anonymous", None
            if p is not None:
                return clean(p.canonical), "person", p.role
            return None, "none", None
        if tok.text[:1].isupper() and fold(tok.text) in self._by_last and tok.ent_type_ in ("", "PER"):
            name = self._by_last[fold(tok.text)]  # a known surname the tagger missed here
            p = next((p for p in self.persons if p.canonical == name), None)
            return clean(name), "person", p.role if p else None
        span = self._phrase(tok)
        head_f = fold(tok.text)
        if tok.pos_ == "NOUN" and head_f in ORG_NOUNS:
            for e in self.ents:
                if e.start > tok.i and e.end <= span[1] and e.start - tok.i <= 4 and e.label_ != "LOC":
                    return self.org_name(e.text), "organization", None
            phrase = doc[span[0] : span[1]]
            if len([t for t in phrase if not t.is_punct]) <= 2 and head_f in _ANAPHORIC_ORG:
                # "l'association", "le groupe": the latest organisation named before
                g = self.group_before(tok.idx)
                if g is not None and g.type == "organization" and tok.idx - g.start < 1500:
                    return clean(g.name), "organization", None
        # named entity inside the phrase (the head or a flat / appos / nmod dependant)
        for e in self.ents:
            if e.start >= span[0] and e.end <= span[1] and e.label_ == "PER":
                p = next((p for p in self.persons if p.start == e.start_char), None)
                role = p.role if p else None
                return clean(self.canonical(e.text)), "person", role
        if tok.ent_type_ in ("ORG", "LOC", "MISC") and tok.pos_ == "PROPN":
            ent = next((e for e in self.ents if e.start <= tok.i < e.end), None)
            return self.org_name(ent.text if ent else tok.text), "organization", None
        for e in self.ents:
            if e.start >= span[0] and e.end <= span[1] and e.label_ == "ORG":
                if head_f in ANON_NOUNS and head_f not in ORG_NOUNS:
                    break
                return self.org_name(e.text), "organization", None
        phrase = doc[span[0] : span[1]]
        text = phrase.text.strip(" ,")
        if head_f in ROLE_NOUNS or any(k in fold(text) for k in ROLE_SYNONYMS):
            keys = role_keys(phrase)
            nouns = {k for k in keys if not k.startswith("adj:")}
            best = None
            for p in self.persons:
                if p.start >= tok.idx:
                    break
                if nouns & p.role_keys:
                    # "le chef de l'Etat syrien" fits "le président syrien", not "le président turc"
                    adjs = {k for k in keys if k.startswith("adj:")}
                    p_adjs = {k for k in p.role_keys if k.startswith("adj:")}
                    if adjs and p_adjs and not adjs & p_adjs:
                        continue
                    best = p
            if best is not None:
                return clean(best.canonical), "person", best.role or text
            return text, "anonymous", text
        if head_f in ORG_NOUNS:
            return text, "organization", None
        if tok.pos_ == "PROPN":
            return text, "organization" if tok.ent_type_ != "PER" else "person", None
        return text, "anonymous", None

    def _phrase(self, tok: Token) -> tuple[int, int]:
        """Token range of the noun phrase headed by tok, cut at commas, verbs and quotes, and at a
        conjunction that joins no second noun phrase ("le juge et condamnés par …": a mis-tagged
        participle; "le juge et l'avocat", "Paul et Marie", "de l'Intérieur et des Cultes" stay whole)."""
        doc = self.doc
        sub = list(tok.subtree)
        lo, hi = sub[0].i, sub[-1].i + 1
        for k in range(tok.i + 1, hi):
            t = doc[k]
            if t.text in (",", ";", ":", "«", "»", "(", ")") or (t.pos_ in ("VERB", "AUX") and t.dep_ not in ("amod",) and t.ent_type_ != "PER") \
                    or t.pos_ == "CCONJ" and k + 1 < len(doc) and doc[k + 1].pos_ not in ("DET", "PROPN", "PRON", "NUM", "ADP"):
                hi = k
                break
        for k in range(tok.i - 1, lo - 1, -1):
            if doc[k].text in (",", ";", ":", "«", "»"):
                lo = k + 1
                break
        while lo < tok.i and doc[lo].pos_ in ("ADP",):
            lo += 1
        return lo, hi
