"""Canonical URLs: examples, and properties (idempotent, tracking removed, never crashes)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entrelignes.ingest.urls import canonical_url, is_tracking_parameter


@pytest.mark.parametrize(
    "url, expected",
    [
        ("HTTP://Journal.Example:80/a/./b/../c?utm_source=rss&b=2&a=1#commentaires", "http://journal.example/a/c?a=1&b=2"),
        ("https://journal.example:443", "https://journal.example/"),
        ("https://journal.example:8443/x", "https://journal.example:8443/x"),
        ("https://journal.example/x?xtor=RSS-3208&fbclid=abc&gclid=1&at_medium=rss&id=7", "https://journal.example/x?id=7"),
        ("https://user:pw@journal.example/x", "https://journal.example/x"),
        ("https://journal.example/%7Euser/caf%c3%a9 2", "https://journal.example/~user/caf%C3%A9%202"),
        ("https://journal.example/été", "https://journal.example/%C3%A9t%C3%A9"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("  https://journal.example/x?  ", "https://journal.example/x"),
        ("file:///srv/archive/a.html#x", "file:///srv/archive/a.html"),
    ],
)
def test_examples(url, expected):
    assert canonical_url(url) == expected


def test_page_canonical_wins_when_plausible():
    assert canonical_url("https://m.journal.example/a?utm_medium=x", "https://journal.example/a/") == "https://journal.example/a/"
    assert canonical_url("https://journal.example/amp/a", "/a") == "https://journal.example/a"
    # an article page claiming the home page as canonical is a CMS mistake: ignored
    assert canonical_url("https://journal.example/a", "https://journal.example/") == "https://journal.example/a"
    assert canonical_url("https://journal.example/a", "javascript:alert(1)") == "https://journal.example/a"
    assert canonical_url("file:///srv/a.html", "https://journal.example/a") == "https://journal.example/a"


_segment = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8)
_value = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), blacklist_characters="&=#"), max_size=8)
_param = st.tuples(
    st.one_of(st.sampled_from(["utm_source", "UTM_Campaign", "fbclid", "xtor", "id", "page", "q", "at_medium", "ref"]), _value),
    _value,
)


@st.composite
def urls(draw) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "file", "ftp", ""]))
    host = draw(st.one_of(st.sampled_from(["journal.example", "Journal.EXAMPLE.", "bücher.example", "[::1]", "127.0.0.1", "x:99", "a:b"]), _segment))
    path = "/".join(draw(st.lists(st.one_of(st.sampled_from([".", "..", "%2F", "%7e", "%", "%zz", "é"]), _segment), max_size=5)))
    query = "&".join(f"{k}={v}" for k, v in draw(st.lists(_param, max_size=5)))
    fragment = draw(_segment)
    return f"{scheme}://{host}/{path}" + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")


@settings(max_examples=500, deadline=None)
@given(st.one_of(urls(), st.text(max_size=60)))
def test_idempotent_and_never_crashes(url):
    once = canonical_url(url)
    assert isinstance(once, str)
    assert canonical_url(once) == once


@settings(max_examples=300, deadline=None)
@given(urls())
def test_tracking_parameters_and_fragments_are_removed(url):
    result = canonical_url(url)
    try:
        parts = urlsplit(result)
    except ValueError:  # not a valid URL: kept as written
        return
    if parts.scheme in ("http", "https") and parts.hostname:
        assert not any(is_tracking_parameter(name) for name, _ in parse_qsl(parts.query, keep_blank_values=True))
        assert parts.fragment == "" and "#" not in result


@settings(max_examples=200, deadline=None)
@given(st.lists(_param, max_size=6), st.randoms())
def test_parameter_order_does_not_matter(params, rng):
    shuffled = list(params)
    rng.shuffle(shuffled)
    a = canonical_url("https://journal.example/x?" + "&".join(f"{k}={v}" for k, v in params))
    b = canonical_url("https://journal.example/x?" + "&".join(f"{k}={v}" for k, v in shuffled))
    assert a == b
