"""The server-drawn charts and the interface language, on their own."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from entrelignes.web import charts, i18n

PARIS = ZoneInfo("Europe/Paris")
T0 = datetime(2026, 3, 12, 5, 0, tzinfo=timezone.utc)


def test_timeline_escapes_labels_and_places_dots_in_time_order():
    points = [
        charts.Point('<script>alert(1)</script>', T0, 'title "quoted" <b>', "a-1"),
        charts.Point("Radio Ouest", T0 + timedelta(hours=3), "second", "a-2"),
        charts.Point("Radio Ouest", T0 + timedelta(hours=1), "third", "a-3"),
    ]
    svg = str(charts.timeline(points, PARIS, title="Who <published>"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "<b>" not in svg
    assert " style=" not in svg  # the CSP allows no inline style: colours come from classes
    xs = {anchor: float(x) for anchor, x in re.findall(r'href="#(a-\d)"><circle class="dot c\d" cx="([\d.]+)"', svg)}
    assert xs["a-1"] < xs["a-3"] < xs["a-2"]
    assert ">06:00<" in svg  # ticks in the configured time zone
    assert charts.timeline([], PARIS) == ""


def test_sourcing_bar_normalises_shares():
    svg = str(charts.sourcing_bar({"person": 2, "anonymous": 1, "unsourced": 1, "bogus": 9}, {"person": "named"}))
    widths = [float(w) for w in re.findall(r'width="([\d.]+)" height', svg)]
    assert abs(sum(widths) - 300) < 0.1 and "named 50 %" in svg
    assert 'class="empty"' in str(charts.sourcing_bar({}, {}))
    assert charts.average_sourcing([{"person": 1.0}, {"unsourced": 1.0}, {}]) == {
        "person": 0.5, "organization": 0.0, "anonymous": 0.0, "outlet": 0.0, "unsourced": 0.5,
    }


def test_language_choice():
    assert i18n.pick_language(None, "fr-CA,fr;q=0.9,en;q=0.8") == "fr"
    assert i18n.pick_language(None, "en;q=0.4, fr;q=0.9") == "fr"
    assert i18n.pick_language(None, "de-DE") == "en"
    assert i18n.pick_language("en", "fr") == "en"
    assert i18n.pick_language("xx", "fr;q=abc") == "fr"
    assert i18n.pick_language(None, None) == "en"


def test_dates_in_both_languages_and_the_time_zone():
    assert i18n.format_date("2026-03-12", "fr") == "jeudi 12 mars 2026"
    assert i18n.format_date("2026-03-12", "en") == "Thursday 12 March 2026"
    assert i18n.format_datetime(T0.isoformat(), "fr", PARIS) == "12 mars 2026, 06:00"
    assert i18n.format_time("2026-07-01T05:00:00+00:00", PARIS) == "07:00"  # summer time
    assert i18n.format_datetime("not a date", "en", PARIS) == ""
    assert i18n.translate("fr", "Today") == "Aujourd'hui" and i18n.translate("fr", "unknown words") == "unknown words"
