"""Bytes to text without mojibake: BOM, then the HTTP header's charset, the XML prolog, the
HTML meta tag, then detection (charset_normalizer), UTF-8 with replacement as the last resort.

One correction goes before the declarations: a body that is valid UTF-8 and holds non-ASCII
bytes is UTF-8, whatever the server claims. Servers saying ISO-8859-1 for UTF-8 pages is the
most common way accents turn to "Ã©"; a byte sequence that is valid UTF-8 by accident in a
Latin-1 text is vanishingly rare.
"""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_PROLOG = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)


def header_charset(content_type: str) -> str:
    match = _HEADER_CHARSET.search(content_type or "")
    return match.group(1) if match else ""


def _codec(name: str) -> str:
    """Python's codec name for a declared charset, "" when unknown. Latin-1 and ASCII are read
    as Windows-1252, as browsers do (they are its subsets for printable characters)."""
    try:
        codec = codecs.lookup(name.strip().lower()).name
    except (LookupError, ValueError):
        return ""
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def declared_charsets(body: bytes, content_type: str = "") -> list[str]:
    """The charsets the document declares, in order of authority: header, XML prolog, meta."""
    found = []
    if content_type:
        found.append(header_charset(content_type))
    head = body[:2048]
    match = _XML_PROLOG.match(head)
    if match:
        found.append(match.group(1).decode("ascii"))
    match = _META_CHARSET.search(body[:8192])
    if match:
        found.append(match.group(1).decode("ascii"))
    return [c for c in (_codec(name) for name in found if name) if c]


def decode(body: bytes, content_type: str = "") -> tuple[str, str]:
    """(text, codec used) for `body` served with `content_type`."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(codec, "replace"), codec
    if not body:
        return "", "utf-8"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and not body.isascii():
        return text, "utf-8"
    for codec in declared_charsets(body, content_type):
        if codec.startswith("utf-16") or codec.startswith("utf-32"):
            continue  # without a BOM a declared UTF-16 is a mislabelled 8-bit document
        try:
            return body.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            continue
    if text is not None:
        return text, "utf-8"
    guessed = _detect(body) if len(body) >= 64 else ""  # too short to guess: Windows-1252 below
    if guessed and not guessed.startswith(("utf_16", "utf_32", "utf-16", "utf-32")):  # no BOM: not UTF-16
        try:
            return body.decode(guessed), guessed
        except (UnicodeDecodeError, LookupError):
            pass
    return body.decode("cp1252", "replace"), "cp1252"


def _detect(body: bytes) -> str:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - charset_normalizer comes with httpx's deps
        return ""
    best = from_bytes(body[:200_000]).best()
    return _codec(best.encoding) if best is not None else ""
