"""Plain-text helpers shared by the model-based and the fallback rules.

- `check_text`: rejects input that cannot be analysed (empty, binary, mis-decoded, absurdly long)
  with an `AnalysisError`, and caps merely long input with a notice.
- `sentence_spans`: sentence boundaries computed on the characters, independent of the parser
  (the small models sometimes split a sentence at "que"); quotes in « » are never split.
- `quote_spans`: the passages in quotation marks, with their inner content offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CHARS = 200_000  # longer texts are cut here, with a notice
REJECT_CHARS = 2_000_000  # beyond this, the input is not an article: rejected


class AnalysisError(ValueError):
    """This one input cannot be analysed (empty, binary, badly encoded or absurdly long)."""


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# UTF-8 read as Latin-1/cp1252: "Ã©", "Ã¨", "â€™", "Ã " ...
_MOJIBAKE = re.compile(r"Ã[\x80-\xbf¡-ÿ]|â€[\x80-\xbf™œ\x9d¦“”˜]|Â[\xa0-\xbf]")


def check_text(text: object) -> tuple[str, list[str]]:
    """The text to analyse and the notices about it, or AnalysisError for unusable input."""
    if isinstance(text, bytes):
        raise AnalysisError("text is bytes, not decoded text; decode it before analysis")
    if not isinstance(text, str):
        raise AnalysisError(f"text must be a string, got {type(text).__name__}")
    if not text.strip():
        raise AnalysisError("text is empty")
    if len(text) > REJECT_CHARS:
        raise AnalysisError(f"text is {len(text):,} characters long; not an article (limit {REJECT_CHARS:,})")
    notices: list[str] = []
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS]
        cut = max(text.rfind("\n"), text.rfind(". "))
        if cut > MAX_CHARS * 0.9:
            text = text[: cut + 1]
        notices.append(f"text cut to its first {len(text):,} characters (limit {MAX_CHARS:,})")
    sample = text[:50_000]
    if "\x00" in sample or len(_CONTROL.findall(sample)) > max(3, len(sample) // 200):
        raise AnalysisError("text looks binary (control characters); not an article")
    if sample.count("\ufffd") > max(3, len(sample) // 500):
        raise AnalysisError("text is badly encoded (many U+FFFD replacement characters)")
    if len(_MOJIBAKE.findall(sample)) > max(3, len(sample) // 300):
        raise AnalysisError("text is badly encoded (UTF-8 decoded as Latin-1: 'Ã©', 'â€™' ...)")
    letters = sum(c.isalpha() for c in sample)
    if letters < 0.3 * len(sample.strip()) or letters < 2:
        raise AnalysisError("text has too few letters to be prose")
    return text, notices


# --- quotation marks ----------------------------------------------------------------------

_PAIRS = {"«": "»", "“": "”", "‹": "›", "„": "“"}
_STRAIGHT = '"'


@dataclass(frozen=True)
class QuoteSpan:
    open: int  # offset of the opening mark
    close: int  # offset of the closing mark
    start: int  # inner content, stripped of spaces
    end: int

    @property
    def outer_end(self) -> int:
        return self.close + 1


_MARK = re.compile("[" + re.escape("".join(_PAIRS) + _STRAIGHT) + "]")
_QUOTE_END = {c: re.compile("[" + re.escape(c + close) + "]|\n\n") for c, close in _PAIRS.items()}
_QUOTE_END[_STRAIGHT] = re.compile('"|\n\n')
_MAX_QUOTE = 3000  # characters; an unclosed mark does not swallow the article


def quote_spans(text: str) -> list[QuoteSpan]:
    """Top-level quoted passages, in order. Nested marks (ʺ…ʺ inside « ») stay inside; a quote
    never runs across a blank line or beyond 3,000 characters."""
    spans: list[QuoteSpan] = []
    n = len(text)
    m = _MARK.search(text)
    while m is not None:
        i, c = m.start(), m.group()
        close_char = _PAIRS.get(c, _STRAIGHT)
        limit = min(n, i + _MAX_QUOTE)
        depth, j = 1, -1
        for end in _QUOTE_END[c].finditer(text, i + 1, limit):
            d = end.group()
            if d == close_char:
                depth -= 1
                if depth == 0:
                    j = end.start()
                    break
            elif d == c:
                depth += 1
            else:  # a blank line
                break
        if j < 0:
            m = _MARK.search(text, i + 1)
            continue
        s, e = i + 1, j
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            spans.append(QuoteSpan(i, j, s, e))
        m = _MARK.search(text, j + 1)
    return spans


# --- sentences ----------------------------------------------------------------------------

# words that start a sentence, not a name: "… le plan B. La mairie …" splits there
_SENT_STARTERS = frozenset("le la les l'un un une des il elle ils elles ce cette ces selon en dans pour mais the a an he she it they".split())
_SENT_BREAK = re.compile(r"[\n.!?…]")
_ABBREV = re.compile(r"(?:\b(?:M|Mme|Mlle|Dr|Pr|St|Ste|Me|Mr|Mrs|Ms|No|art|etc|cf|vs|av|J\.-C|env)|\b[A-Z])\.$")


def sentence_spans(text: str, quotes: list[QuoteSpan] | None = None) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets: split after . ! ? … before a capital, and at line breaks.

    A sentence never ends inside a quoted passage. A quote's own final stop ends the sentence
    after the closing mark when a new sentence starts there (« Je pars. » Il sortit.), not when
    the sentence goes on (« Je pars. », dit-il.). End offsets exclude trailing spaces.
    """
    quotes = quote_spans(text) if quotes is None else quotes
    inside = bytearray(len(text) + 1)
    close_after_final_stop: dict[int, int] = {}
    for q in quotes:
        inside[q.open + 1 : q.close] = b"\x01" * (q.close - q.open - 1)
        if text[q.end - 1] in ".!?…":
            close_after_final_stop[q.end - 1] = q.close
    out: list[tuple[int, int]] = []
    start = 0
    n = len(text)
    resume = 0  # characters before this were consumed by the previous cut
    for m in _SENT_BREAK.finditer(text):
        i, c = m.start(), m.group()
        if i < resume:
            continue
        cut = None
        if c == "\n":
            cut = i
        elif not inside[i] or i in close_after_final_stop:
            j = i + 1 if not inside[i] else close_after_final_stop[i] + 1
            while j < n and text[j] in ".!?…»”\")":
                j += 1
            if j >= n:
                cut = j
            elif text[j] in " \t\n":
                k = j
                while k < n and text[k] in " \t":
                    k += 1
                nxt = text[k : k + 1]
                if nxt == "\n" or nxt == "" or nxt.isupper() or nxt.isdigit() or nxt in "«“\"—–-([":
                    nxt_word = text[k : k + 12].split(" ", 1)[0].lower()
                    if not (c == "." and _ABBREV.search(text[max(0, i - 6) : i + 1])) or nxt_word in _SENT_STARTERS:
                        cut = j
        if cut is not None:
            _append_trimmed(out, text, start, cut)
            start = cut
            resume = cut if cut > i else i + 1
    _append_trimmed(out, text, start, n)
    return out


def _append_trimmed(out: list[tuple[int, int]], text: str, s: int, e: int) -> None:
    """Append the span text[s:e] without its surrounding whitespace, unless nothing is left."""
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s:
        out.append((s, e))
