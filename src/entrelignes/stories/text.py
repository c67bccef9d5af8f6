"""Token-level text handling for the story stage.

Everything here works on raw strings in any language written with word characters: no spaCy
model is needed. Words are case-folded and split on non-word characters; a short stop-word list
for English and French (and a few other frequent European function words) keeps the weights on
content words. Accents are kept: "élection" and "election" differ, which matters less than it
seems because each story is compared within one language most of the time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?…»\"”])\s+(?=[\"“«(\[]?[A-ZÀ-ÖØ-Þ0-9])")
_ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)

_STOP = """
a about above after again against all also am an and any are aren't as at be because been before
being below between both but by can could did do does doing down during each few for from further
had has have having he her here hers herself him himself his how i if in into is it its itself
just me more most my myself no nor not now of off on once only or other our ours ourselves out
over own same she should so some such than that the their theirs them themselves then there these
they this those through to too under until up very was we were what when where which while who
whom why will with would you your yours yourself yourselves said says say told according also
would could may might must shall one two new year years time like get got just since per mr mrs
ms dr us it's that's there's he's she's they're we're don't didn't doesn't won't can't isn't
wasn't weren't hasn't haven't hadn't i'm you're we've they've i've let's via
au aux avec ce ces cet cette dans de des du elle elles en et eux il ils je la le les leur leurs
lui ma mais me même mes moi mon ne nos notre nous on ou où par pas pour qu que qui sa se ses son
sur ta te tes toi ton tu un une vos votre vous été être avoir ont est sont était étaient fait
comme plus moins aussi tout tous toute toutes très sans sous entre après avant depuis encore
déjà ainsi alors donc car si ni dont cela ça ceci celui celle ceux celles lequel laquelle
lesquels selon chez vers contre pendant lors dès bien non oui y à été sera seront avait avaient
a-t-il dit déclaré
der die das den dem des ein eine einer eines einem und oder aber nicht mit von zu im ist sind
war auf für bei aus als auch es sie er wir ihr
el los las del al y o pero con por para es son fue se lo su sus una uno como más
il lo gli della delle dei degli nel nella che non per con è sono
"""
STOPWORDS = frozenset(_STOP.split())


def words(text: str) -> list[str]:
    """Case-folded word tokens, French elisions stripped ("l'armée" -> "armée")."""
    tokens = _WORD.findall(text.casefold())
    if "'" not in text and "’" not in text:
        return tokens
    out = []
    for w in tokens:
        if "'" in w or "’" in w:
            w = w.replace("’", "'")
            stripped = _ELISION.sub("", w)
            if stripped != w:
                w = stripped
            elif w.endswith("'s"):
                w = w[:-2]
        out.append(w)
    return out


def content_terms(text: str, prefix: int = 0) -> list[str]:
    """Words that carry content: no stop words, no single letters, no bare numbers.

    With `prefix` > 0, words are cut to that many characters: a crude, language-free stemmer
    ("elections" and "election" meet at "electi").
    """
    return terms_of(words(text), prefix)


def terms_of(tokens: list[str], prefix: int = 0) -> list[str]:
    """`content_terms` over already tokenised words."""
    stop = STOPWORDS
    if prefix:
        return [w[:prefix] for w in tokens if len(w) > 1 and w not in stop and not w.isdigit()]
    return [w for w in tokens if len(w) > 1 and w not in stop and not w.isdigit()]


def shingles(text: str | list[str], size: int = 5) -> set[str]:
    """Word n-grams over all words (stop words kept: wire copy shares its function words too)."""
    ws = words(text) if isinstance(text, str) else text
    if len(ws) < size:
        return {" ".join(ws)} if ws else set()
    return {" ".join(ws[i : i + size]) for i in range(len(ws) - size + 1)}


def sentences(text: str) -> list[str]:
    """Sentences, split on end punctuation followed by an upper-case start; paragraphs kept apart."""
    out = []
    for para in re.split(r"\n\s*\n|\n", text):
        para = para.strip()
        if not para:
            continue
        out.extend(s.strip() for s in _SENTENCE_END.split(para) if s.strip())
    return out


def capitalised_names(text: str) -> list[str]:
    """Capitalised word runs not at a sentence start: a model-free stand-in for named entities."""
    names = []
    for sent in sentences(text):
        tokens = _WORD.findall(sent)
        run: list[str] = []
        for i, tok in enumerate(tokens):
            if tok[:1].isupper() and i > 0 and tok.casefold() not in STOPWORDS:
                run.append(tok)
            else:
                if run:
                    names.append(" ".join(run))
                run = []
        if run:
            names.append(" ".join(run))
    return names


def unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)


_NAME_WORD = re.compile(r"[^\W\d_]+(?:[-‐‑][^\W\d_]+)*(?:['’][^\W\d_]+)?", re.UNICODE)
_CALENDAR = frozenset(
    """
    monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december lundi mardi mercredi jeudi vendredi samedi
    dimanche janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre
    """.split()
)


def fold(text: str) -> str:
    """Case and accents folded: "Haute-Vérane" and "haute-verane" meet."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def name_keys(text: str, *, limit: int = 0, exclude: Iterable[str] = ()) -> set[str]:
    """Proper names of a text without a language model: capitalised words not at a sentence start.

    Each capitalised word is a key on its own ("Claire Dauvergne" gives "claire" and "dauvergne");
    a hyphenated name stays whole ("Pont-Aurel" gives "pont-aurel"), accents and case folded, so
    the same place written in a French and an English article gives the same key. Possessives and
    French elisions are cut ("France's" -> "france", "d'Aurel" -> "aurel"); stop words, weekday and
    month names, words of fewer than 3 letters and the words of `exclude` (the outlet's own name)
    are not names. With `limit`, only the first `limit` words are read.
    """
    skip = {fold(w) for e in exclude for w in _NAME_WORD.findall(e)}
    keys: set[str] = set()
    seen = 0
    for sent in sentences(text):
        for i, tok in enumerate(_NAME_WORD.findall(sent)):
            seen += 1
            if limit and seen > limit:
                return keys
            if "'" in tok or "’" in tok:
                head, _, tail = tok.replace("’", "'").partition("'")
                if tail.casefold() == "s":
                    tok = head
                elif _ELISION.match(head + "'"):
                    tok, i = tail, i + 1  # the name after an elision is never a sentence start
                else:
                    continue
            if i == 0 or not tok[:1].isupper() or len(tok) < 3:
                continue
            key = fold(tok).replace("‐", "-").replace("‑", "-")
            if key in STOPWORDS or key in _CALENDAR or key in skip:
                continue
            keys.add(key)
    return keys
