"""A small store written row by row: three outlets, two stories, hostile content everywhere a
feed could put it (script in titles, javascript: links, event-handler attributes)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from entrelignes.store import session_scope
from entrelignes.store.schema import Analysis, Article, Delivery, Edition, Source, StoryMember
from entrelignes.store.sources import add_source

HOSTILE_TITLE = '<script>alert("title")</script>Grève à la SNCF <img src=x onerror=alert(1)>'
HOSTILE_URL = "javascript:alert('link')"
HOSTILE_QUOTE = '"><svg onload=alert(2)>Nous ne céderons pas'
DAY = datetime(2026, 3, 12, tzinfo=timezone.utc)
STORY_A = "s-aaaaaaaaaaaaaaaaaaaaaaaa"
STORY_B = "s-bbbbbbbbbbbbbbbbbbbbbbbb"


def _analysis(article_id: str, title: str, quotes: list[tuple[str, str | None]], sourcing: dict[str, float]) -> dict:
    return {
        "id": article_id, "title": title, "language": "fr", "text": "",
        "quotes": [
            {"quote": q, "type": "direct", "speaker": s, "speaker_type": "person" if s else "anonymous", "cue": "a déclaré", "start": 0, "end": len(q), "role": None}
            for q, s in quotes
        ],
        "entities": [], "attributions": [], "boilerplate": [], "sourcing": sourcing, "notices": [],
    }


def build_store(engine) -> dict:
    """Fill `engine`'s store; returns the ids the tests use."""
    with session_scope(engine) as db:
        sources = {}
        for name in ("Le Quotidien", "La Gazette <b>du soir</b>", "Radio Ouest"):
            src = add_source(db, name=name, url=f"https://{len(sources)}.example.org/rss.xml", origin="config")
            src.last_status, src.polls, src.items_seen = "ok", 12, 40
            src.last_success_at = DAY + timedelta(hours=6)
            sources[name] = src
        sources["Radio Ouest"].consecutive_failures = 3
        sources["Radio Ouest"].last_error = "HTTP 503 <script>alert(3)</script>"
        rows = [
            ("a1", "Le Quotidien", HOSTILE_TITLE, HOSTILE_URL, 5, STORY_A, [(HOSTILE_QUOTE, "Sophie Binet"), ("La grève sera reconduite", "Sophie Binet")], {"person": 0.5, "anonymous": 0.1, "unsourced": 0.4}),
            ("a2", "La Gazette <b>du soir</b>", "La grève de la SNCF continue", "https://gazette.example.org/greve", 6, STORY_A, [("Le trafic sera très perturbé", None), ("Nous appelons au dialogue", "Clément Beaune")], {"organization": 0.6, "anonymous": 0.4}),
            ("a3", "Radio Ouest", "Grève : trains supprimés dans l'Ouest", "https://radio.example.org/greve?x=1&y=<2>", 8, STORY_A, [("Aucun train ne circulera", "SNCF Voyageurs")], {"organization": 0.3, "outlet": 0.2, "unsourced": 0.5}),
            ("b1", "Le Quotidien", "Budget : le Sénat adopte le texte", "https://quotidien.example.org/budget", 4, STORY_B, [], {"person": 1.0}),
            ("b2", "Radio Ouest", "Le budget voté au Sénat", "data:text/html,<script>alert(4)</script>", 7, STORY_B, [], {}),
        ]
        for key, outlet, title, url, hour, story, quotes, sourcing in rows:
            article_id = key * 12
            db.add(
                Article(
                    id=article_id, source_id=sources[outlet].id, outlet=outlet, url=url, title=title,
                    text=f"{title}. Texte de l'article {key} sur la grève et le budget, avec des détails. " * 5,
                    language="fr", author="Rédaction <i>web</i>", published_at=DAY + timedelta(hours=hour),
                    fetched_at=DAY + timedelta(hours=hour, minutes=5), boilerplate=["Abonnez-vous à notre newsletter <a href=javascript:alert(5)>ici</a>"],
                )
            )
            db.flush()
            db.add(Analysis(article_id=article_id, data=_analysis(article_id, title, quotes, sourcing), analyzed_at=DAY + timedelta(hours=9)))
            db.add(StoryMember(article_id=article_id, story_id=story, duplicate_of=None))
        db.flush()

        def frozen(edition_id: str, slot: str, at: datetime) -> dict:
            stories = []
            for rank, (story, ids, headline) in enumerate(
                [(STORY_A, ["a1", "a2", "a3"], HOSTILE_TITLE), (STORY_B, ["b1", "b2"], "Budget : le Sénat adopte le texte")], start=1
            ):
                arts = [db.get(Article, k * 12) for k in ids]
                stories.append({
                    "rank": rank, "story_ids": [story], "headline": headline,
                    "reason": f"reported by {len(ids)} independent outlets <script>alert(6)</script>",
                    "is_update": False, "score": 1.0 / rank,
                    "summary": [{"sentence": a.title, "outlet": a.outlet} for a in arts[:2]],
                    "articles": [{"id": a.id, "title": a.title, "outlet": a.outlet, "url": a.url, "published": a.published_at.isoformat()} for a in arts],
                    "outlets": list(dict.fromkeys(a.outlet for a in arts)),
                    "quotes": [], "sourcing": {},
                })
            return {
                "id": edition_id, "date": "2026-03-12", "slot": slot, "at": at.isoformat(), "title": "entrelignes",
                "timezone": "Europe/Paris", "window_start": (at - timedelta(hours=24)).isoformat(),
                "stats": {"articles": 5, "stories": 2, "outlets": 3}, "stories": stories,
            }

        morning_at = datetime(2026, 3, 12, 7, tzinfo=timezone.utc)
        evening_at = datetime(2026, 3, 12, 18, tzinfo=timezone.utc)
        db.add(Edition(id="2026-03-12-morning", date="2026-03-12", slot="morning", built_at=morning_at, status="published", data=frozen("2026-03-12-morning", "morning", morning_at)))
        db.add(Edition(id="2026-03-12-evening", date="2026-03-12", slot="evening", built_at=evening_at, status="built", data=frozen("2026-03-12-evening", "evening", evening_at)))
        db.flush()
        db.add(Delivery(edition_id="2026-03-12-morning", channel="telegram", part=1, recipient="@canal", status="sent", attempts=1, external_id="12", error="", updated_at=morning_at))
        db.add(Delivery(edition_id="2026-03-12-morning", channel="email", part=1, recipient="x@example.org", status="failed", attempts=3, external_id="", error="550 <script>alert(7)</script>", updated_at=morning_at))
    return {"story_a": STORY_A, "story_b": STORY_B, "published": "2026-03-12-morning", "next": "2026-03-12-evening"}
