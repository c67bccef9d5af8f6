"""Canonical URLs: the same article reached by two routes gets one URL, hence one id.

`canonical_url` lower-cases the scheme and host, drops default ports, the fragment, user
info and tracking parameters (utm_*, fbclid, xtor, ...), sorts the remaining query
parameters, removes dot segments and normalises percent-escapes. It is idempotent:
canonical_url(canonical_url(u)) == canonical_url(u). A page's own `<link rel=canonical>`
wins when it is a plausible http(s) URL for the same article.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urljoin, urlsplit, urlunsplit

TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid", "li_fat_id",
        "mc_cid", "mc_eid", "igshid", "igsh", "_ga", "_gl", "_hsenc", "_hsmi", "hsctatracking", "mkt_tok", "oly_anon_id",
        "oly_enc_id", "vero_conv", "vero_id", "wickedid", "rb_clickid", "s_cid", "ncid", "ocid", "cmpid", "sr_share",
        "spm", "xtor", "xts", "ref", "ref_src", "ref_url", "referrer", "soc_src", "soc_trk", "ito", "ns_mchannel",
        "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "at_medium", "at_campaign", "at_platform", "at_send_date",
        "at_ptr_name", "at_format", "at_creation", "at_link", "at_recipient_id", "at_recipient_list", "at_custom1",
        "at_custom2", "at_custom3", "at_custom4", "at_emailtype", "at_link_id", "at_link_origin", "at_link_type",
        "at_position", "at_bbc_team", "mbid", "cid_source", "ftag", "guccounter", "guce_referrer", "guce_referrer_sig",
        "smid", "smtyp", "amp", "outputtype",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "piwik_", "hmb_", "at_")
DEFAULT_PORTS = {"http": 80, "https": 443}

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = _UNRESERVED | frozenset("!$&'()*+,;=:@/")
_QUERY_SAFE = _UNRESERVED | frozenset("!$'()*+,;:@/?")  # '&' and '=' are structure, '%' escapes
_VALUE_SAFE = _QUERY_SAFE | {"="}
_HEX = frozenset("0123456789abcdefABCDEF")


_PLAIN = {
    "path": re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/]*"),
    "query": re.compile(r"[A-Za-z0-9\-._~!$'()*+,;:@/?]*"),
    "value": re.compile(r"[A-Za-z0-9\-._~!$'()*+,;:@/?=]*"),
}


def _normalise_escapes(text: str, safe: frozenset[str]) -> str:
    """Percent-encode what must be, decode escaped unreserved characters, upper-case the rest."""
    plain = _PLAIN.get("path" if safe is _PATH_SAFE else "query" if safe is _QUERY_SAFE else "value" if safe is _VALUE_SAFE else "")
    if plain is not None and plain.fullmatch(text):  # the usual case: nothing to do
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "%" and i + 2 < n and text[i + 1] in _HEX and text[i + 2] in _HEX:
            decoded = chr(int(text[i + 1 : i + 3], 16))
            out.append(decoded if decoded in _UNRESERVED else "%" + text[i + 1 : i + 3].upper())
            i += 3
            continue
        if char in safe:
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    if "/." not in path and not path.startswith("."):
        return path
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
            continue
        if segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
            continue
        output.append(segment)
    result = "/".join(output)
    if path.startswith("/") and not result.startswith("/"):
        result = "/" + result
    return result


def is_tracking_parameter(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def _canonical_host(host: str) -> str:
    host = host.lower().rstrip(".")
    if host.startswith("[") or host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host  # not a valid international name: kept as written


def _plausible_page_canonical(candidate: str, url: str) -> bool:
    """A page's canonical link is used unless it is obviously wrong (not http(s), no host, or
    the site's home page announced by an article page: a common CMS misconfiguration)."""
    try:
        parts, original = urlsplit(candidate), urlsplit(url)
    except ValueError:
        return False
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        return False
    if parts.path in ("", "/") and not parts.query and original.path not in ("", "/"):
        return False
    return True


def canonical_url(url: str, page_canonical: str = "") -> str:
    """The article's canonical URL. `page_canonical` is the page's `<link rel=canonical>`
    (absolute or relative to `url`); it wins when plausible."""
    url = url.strip()
    if page_canonical and page_canonical.strip():
        try:
            candidate = urljoin(url, page_canonical.strip())
        except ValueError:
            candidate = ""
        if candidate and _plausible_page_canonical(candidate, url):
            url = candidate
    try:
        return _canonical(url)
    except ValueError:  # unparsable (a broken IPv6 host, say): kept, but never with control characters
        return _CONTROL.sub("", url)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _canonical(url: str) -> str:
    url = _CONTROL.sub("", url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:  # file:// and the rest: only the fragment goes
        return url.split("#", 1)[0].strip()
    netloc = _canonical_netloc(scheme, parts.netloc)
    if netloc is None:
        return url  # not a usable web address: kept as written
    path = _remove_dot_segments(_normalise_escapes(parts.path, _PATH_SAFE)) or "/"
    pairs = []
    for piece in parts.query.split("&"):
        if not piece:
            continue
        name, sep, value = piece.partition("=")
        name, value = _normalise_escapes(name, _QUERY_SAFE), _normalise_escapes(value, _VALUE_SAFE)
        if not name or is_tracking_parameter(name):
            continue
        pairs.append((name, sep, value))
    pairs.sort()
    query = "&".join(f"{name}{sep}{value}" for name, sep, value in pairs)
    return urlunsplit((scheme, netloc, path, query, ""))


@functools.lru_cache(maxsize=4096)
def _canonical_netloc(scheme: str, raw: str) -> str | None:
    """The host part, canonical (cached: a feed's links share their host)."""
    parts = urlsplit(f"{scheme}://{raw}/")
    if not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: the whole host part is kept, lower-cased
        return raw.rsplit("@", 1)[-1].lower()
    host = _canonical_host(parts.hostname)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"


def resolve(base: str, link: str) -> str:
    """`link` made absolute against `base` (works for file:// too); "" when it cannot be."""
    link = (link or "").strip()
    if not link:
        return ""
    if link.startswith(("https://", "http://")) and "/." not in link:
        return link  # already absolute (most feed links): nothing to resolve
    try:
        return urljoin(base, link)
    except ValueError:
        return ""
