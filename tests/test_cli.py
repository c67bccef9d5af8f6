"""The command line as a user types it: the file commands and the source list."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from entrelignes.cli import app

runner = CliRunner()

OPML = """<?xml version="1.0"?><opml version="2.0"><head><title>mes flux</title></head><body>
<outline text="national"><outline type="rss" text="Le Courrier" xmlUrl="https://courrier.example/rss" language="fr"/></outline>
<outline type="rss" text="Harbour Times" xmlUrl="https://harbour.example/feed.json"/></body></opml>"""


def test_init_writes_a_starter_file_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0 and "Add [[sources]] to it" in result.stderr
    assert "[editions]" in (tmp_path / "entrelignes.toml").read_text()
    again = runner.invoke(app, ["init"])
    assert again.exit_code == 1 and "already exists" in again.output


def test_sources_round_trip_through_opml(tmp_path):
    (tmp_path / "entrelignes.toml").write_text('data_dir = "data"\n')
    (tmp_path / "feeds.opml").write_text(OPML)
    config = ["--config", str(tmp_path / "entrelignes.toml")]
    assert runner.invoke(app, ["sources", "import", str(tmp_path / "feeds.opml"), *config]).exit_code == 0
    exported = runner.invoke(app, ["sources", "export", *config])
    assert exported.exit_code == 0
    assert 'xmlUrl="https://courrier.example/rss"' in exported.stdout and '<outline text="national"' in exported.stdout
    assert runner.invoke(app, ["sources", "remove", "https://harbour.example/feed.json", *config]).exit_code == 0
    assert "harbour.example" not in runner.invoke(app, ["sources", "export", *config]).stdout


def test_a_local_feed_is_followed_by_its_path(tmp_path):
    (tmp_path / "entrelignes.toml").write_text('data_dir = "data"\n')
    (tmp_path / "feed.xml").write_text("<rss/>")
    config = ["--config", str(tmp_path / "entrelignes.toml")]
    added = runner.invoke(app, ["sources", "add", str(tmp_path / "feed.xml"), "--name", "Local", *config])
    assert added.exit_code == 0 and (tmp_path / "feed.xml").as_uri() in added.stderr
    missing = runner.invoke(app, ["sources", "add", "nowhere/feed.xml", *config])
    assert missing.exit_code == 2 and "neither a URL nor an existing file" in missing.stderr


def test_a_file_that_is_not_opml_is_refused_clearly(tmp_path):
    (tmp_path / "entrelignes.toml").write_text('data_dir = "data"\n')
    (tmp_path / "notes.txt").write_text("just text")
    result = runner.invoke(app, ["sources", "import", str(tmp_path / "notes.txt"), "--config", str(tmp_path / "entrelignes.toml")])
    assert result.exit_code == 1 and "malformed OPML" in result.output


def test_analyze_files_prints_one_line_per_document_and_reports_bad_ones(tmp_path):
    (tmp_path / "a.txt").write_text("Crue de la Vérane\n\n« Nous tiendrons », a déclaré la maire, Odile Ferrand. Selon une source proche du dossier, les digues ont cédé.\n")
    (tmp_path / "batch.jsonl").write_text(json.dumps({"id": 7, "text": "Le ministre a affirmé que l'arrêté serait publié sous huit jours."}) + "\n{not json\n")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02")
    (tmp_path / "latin.txt").write_bytes("Grève à Besançon\n\nLe préfet a déclaré que la circulation serait rétablie jeudi.".encode("latin-1"))
    files = ["a.txt", "batch.jsonl", "binary.txt", "latin.txt"]
    result = runner.invoke(app, ["analyze", *(str(tmp_path / name) for name in files)])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["a", "7", "latin"]
    assert lines[2]["title"] == "Grève à Besançon"
    first = lines[0]
    assert first["title"] == "Crue de la Vérane" and first["language"] == "fr"
    assert {"quote", "type", "speaker", "speaker_type", "cue", "start", "end"} <= set(first["quotes"][0])
    for quote in first["quotes"]:
        assert first["text"][quote["start"]:quote["end"]]  # offsets index into the text
    assert result.exit_code == 1
    assert "batch.jsonl:2" in result.stderr and "binary" in result.stderr


def test_cluster_file_prints_a_story_per_article(tmp_path):
    records = [
        {"id": "1", "title": "Floods hit the Vérane valley", "text": "The Vérane river flooded Pont-Aurel overnight, one dead.", "published": "2026-03-12T06:00:00+01:00", "source": "A"},
        {"id": "2", "title": "Vérane valley floods: one dead", "text": "Floods in the Vérane valley: Pont-Aurel under water, one dead overnight.", "published": "2026-03-12T06:30:00+01:00", "source": "B"},
        {"id": "3", "title": "Dockers strike at Port-Salvy", "text": "Dockers at Port-Salvy walked out against automation of the container terminal.", "published": "2026-03-12T07:00:00+01:00", "source": "C"},
    ]
    path = tmp_path / "articles.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = runner.invoke(app, ["cluster", str(path)])
    assert result.exit_code == 0
    stories = {line["id"]: line["story"] for line in map(json.loads, result.stdout.splitlines())}
    assert list(stories) == ["1", "2", "3"]
    assert stories["1"] == stories["2"] != stories["3"]


def test_cluster_reports_a_bad_record_with_its_line(tmp_path):
    path = tmp_path / "articles.jsonl"
    path.write_text('{"id": "1", "title": "t", "text": "x"}\n')
    result = runner.invoke(app, ["cluster", str(path)])
    assert result.exit_code == 1 and "line 1" in result.stderr
