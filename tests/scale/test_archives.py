"""Reading archives: every kind, in a fixed order, with stable ids, bad documents reported."""

from __future__ import annotations

import pytest

from entrelignes.scale.archives import ArchiveError, list_units, read_archives, read_unit


def test_units_come_in_a_fixed_order_and_only_supported_files(archives):
    units = list_units([archives])
    sources = [u.source for u in units]
    name = archives.name
    assert sources == [  # a folder's files, then its sub-folders'; no README, LICENSE or hidden folder
        f"{name}/crawl.warc.gz",
        f"{name}/docs.jsonl",
        f"{name}/wire.zip/wire/articles.csv",
        f"{name}/pages/2026/03/2026_03_12-001.txt",
        f"{name}/pages/2026/03/2026_03_12-002.html",
        f"{name}/pages/2026/03/broken.txt",
    ]
    assert list_units([archives]) == units


def test_include_globs_pick_files_inside_directories(archives):
    units = list_units([archives], include=["pages/*/*/*.txt"])
    assert [u.source.split("/")[-1] for u in units] == ["2026_03_12-001.txt", "broken.txt"]


def test_a_missing_or_unsupported_archive_is_refused(archives, tmp_path):
    with pytest.raises(ArchiveError, match="no such file"):
        list_units([tmp_path / "nope.jsonl"])
    (tmp_path / "data.bin").write_bytes(b"x")
    with pytest.raises(ArchiveError, match="unsupported"):
        list_units([tmp_path / "data.bin"])


def test_jsonl_records_and_their_errors(archives):
    (unit,) = list_units([archives / "docs.jsonl"])
    docs = list(read_unit(unit))
    assert [d["doc_id"] for d in docs] == ["j0", "j1", "line:3", "j2", "j3", "empty", "nothing"]
    assert [bool(d["error"]) for d in docs] == [False, False, True, False, False, False, True]
    assert docs[0]["title"] == "Grève à la SNCF" and docs[0]["language"] == "fr"
    assert docs[0]["published"] == "2026-03-12T07:00:00+01:00"
    assert 'missing "text" or "html"' in docs[-1]["error"]


def test_text_and_html_files(archives):
    docs = list(read_archives([archives], include=["pages/*/*/*"]))
    text, html, binary = docs
    assert text["title"] == "Prix du pain" and text["text"].startswith("Prix du pain") and text["published"] == "2026-03-12"
    assert html["html"].startswith("<!doctype html>") and html["text"] == ""  # extracted by the workers
    assert binary["error"]


def test_latin_1_text_and_html_keep_their_accents(tmp_path):
    text = ("Grève à Besançon\n\nLe préfet a déclaré que la circulation serait rétablie dès jeudi matin, après trois jours "
            "de crue. Les écoles de la vallée resteront fermées jusqu'à la fin de la semaine.")
    (tmp_path / "grève.txt").write_bytes(text.encode("latin-1"))
    page = f'<html><head><meta charset="iso-8859-1"><title>Été</title></head><body><p>{text}</p></body></html>'
    (tmp_path / "été.html").write_bytes(page.encode("latin-1"))
    plain, html = read_archives([tmp_path])  # in name order
    assert (plain["title"], plain["text"], plain["error"]) == ("Grève à Besançon", text, "")
    assert html["html"] == page and html["error"] == ""


def test_warc_responses_with_html_only(archives):
    docs = list(read_archives([archives / "crawl.warc.gz"]))
    assert [d["url"] for d in docs] == ["https://exemple.fr/article/0", "https://exemple.fr/article/1"]
    assert all("<article>" in d["html"] and d["outlet"] == "exemple.fr" for d in docs)


def test_csv_inside_a_zip(archives):
    docs = list(read_archives([archives / "wire.zip"]))
    assert [d["doc_id"] for d in docs] == ["c0", "c1", "c2"]
    assert docs[0]["url"] == "https://wire.example/0" and docs[0]["outlet"] == "wire.example" and docs[0]["published"] == "2017/2/9"


def test_ids_are_stable_and_distinct(archives):
    first = [d["article_id"] for d in read_archives([archives])]
    assert first == [d["article_id"] for d in read_archives([archives])]
    assert len(set(first)) == len(first)


def test_a_broken_zip_is_one_error_not_a_crash(tmp_path):
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 not really")
    docs = list(read_archives([tmp_path / "bad.zip"]))
    assert len(docs) == 1 and "zip" in docs[0]["error"]
