"""Site boilerplate: passages a source repeats across its articles, and known promo patterns.

- `learn_boilerplate(texts)`: the paragraphs and sentences that recur in at least
  `min_share` of a source's recent articles (and in at least `min_articles` of them).
- `strip_boilerplate(text, passages)`: removes those passages from one article.
- `known_boilerplate(text)`: the single-article fallback — promo footers ("Suivez X sur
  Telegram", "Lire aussi", subscription calls, share bars) recognised by pattern.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

_SENT_SPLIT = re.compile(r"(?<=[.!?…])\s+(?=[«\"“A-ZÀ-ÖØ-Þ])")
_WS = re.compile(r"\s+")


def _norm(unit: str) -> str:
    return _WS.sub(" ", unit).strip().lower()


def _units(text: str) -> list[str]:
    """Paragraphs (lines) and, for multi-sentence paragraphs, their sentences."""
    out: list[str] = []
    for para in text.splitlines():
        para = para.strip()
        if not para:
            continue
        out.append(para)
        sents = [s.strip() for s in _SENT_SPLIT.split(para) if s.strip()]
        if len(sents) > 1:
            out.extend(sents)
    return out


def learn_boilerplate(texts: Sequence[str], min_share: float = 0.5, min_articles: int = 3) -> list[str]:
    """Passages (paragraph or sentence level) repeated across a source's recent articles.

    A passage counts once per article; it is boilerplate when it appears in at least
    max(min_articles, min_share * len(texts)) articles. Very short passages (under 3 words
    and 15 characters: "Publicité") are kept only when they repeat in every article.
    Returns passages as written in the first article holding them, longest first, without
    sentences already covered by a returned paragraph.
    """
    if not texts:
        return []
    need = max(min_articles, min_share * len(texts))
    if len(texts) < min_articles:
        return []
    df: Counter[str] = Counter()
    first_form: dict[str, str] = {}
    for text in texts:
        seen = set()
        for unit in _units(text or ""):
            key = _norm(unit)
            if key in seen:
                continue
            seen.add(key)
            df[key] += 1
            first_form.setdefault(key, unit)
    found = []
    for key, n in df.items():
        if n < need:
            continue
        short = len(key.split()) < 3 and len(key) < 15
        if short and n < len(texts):
            continue
        found.append(first_form[key])
    found.sort(key=len, reverse=True)
    kept: list[str] = []
    for p in found:
        if not any(_norm(p) in _norm(k) for k in kept):
            kept.append(p)
    return kept


def strip_boilerplate(text: str, passages: Sequence[str]) -> tuple[str, list[str]]:
    """(clean text, removed passages). Passages match with any whitespace between words;
    blank lines left behind are collapsed."""
    removed: list[str] = []
    clean = text
    for p in sorted({p for p in passages if p and p.strip()}, key=len, reverse=True):
        words = p.split()
        pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
        m = pattern.search(clean)
        if not m:
            continue
        removed.append(clean[m.start() : m.end()])
        clean = pattern.sub("", clean)
    if removed:
        clean = re.sub(r"[ \t]+\n", "\n", clean)
        clean = re.sub(r"\n{3,}", "\n\n", clean).strip()
    return clean, removed


_PROMO = re.compile(
    r"""^(?:
        (?:suivez|rejoignez|retrouvez)\b.{0,80}\b(?:sur|on)\s+(?:telegram|twitter|x|facebook|instagram|youtube|tiktok|linkedin|whatsapp|notre\s+chaîne|nos\s+réseaux)
      | (?:à\s+|a\s+)?lire\s+(?:aussi|également|egalement|la\s+suite)\b
      | (?:voir|lisez)\s+aussi\b
      | abonnez-vous\b | inscrivez-vous\b.{0,60}newsletter | recevez\s+(?:gratuitement\s+)?notre\s+newsletter
      | cet\s+article\s+est\s+réservé\s+aux\s+abonnés
      | pour\s+recevoir\s+(?:les|nos)\s+actualités
      | (?:partager|partagez)\s+cet\s+article
      | télécharge[zr]\s+(?:notre|l'|l’)\s*application
      | follow\s+us\s+on\b | subscribe\s+to\b | sign\s+up\s+for\s+our\b | read\s+more\s*:? | related\s*:
      | (?:tous\s+)?droits\s+réservés | ©
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_SHARE_HEAD = re.compile(r"^(?:partager|partagez)\s+cet\s+article|^share\s+this", re.IGNORECASE)


def known_boilerplate(text: str) -> list[str]:
    """Promo / share / subscription paragraphs of one article, recognised by pattern.

    A matching paragraph is removed whole (the seed's "Suivez Sputnik sur Telegram …" footer,
    its second sentence included). After a share header, the short lines that follow
    ("Facebook ,", "Twitter ,") go with it.
    """
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line and _PROMO.match(line):
            block = [line]
            if _SHARE_HEAD.match(line):
                j = i + 1
                while j < len(lines) and lines[j].strip() and len(lines[j].split()) <= 3:
                    block.append(lines[j].strip())
                    j += 1
                i = j - 1
            out.extend(block)
        else:
            # a promo sentence glued to the end of a news paragraph
            sents = _SENT_SPLIT.split(line)
            if len(sents) > 1:
                for k, s in enumerate(sents[1:], 1):
                    if _PROMO.match(s.strip()) and not _SHARE_HEAD.match(s.strip()):
                        out.append(" ".join(x.strip() for x in sents[k:]))
                        break
        i += 1
    return out
