"""Small archives of every kind the backfill reads, and one Ray instance for the whole session."""

from __future__ import annotations

import csv
import io
import json
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "store"))
from pg_cluster import postgres_cluster, store_url  # noqa: E402,F401 - fixtures: a store on SQLite and PostgreSQL

ARTICLES = [
    ("Grève à la SNCF", "« Nous ne céderons pas », a déclaré Sophie Binet mardi à Paris devant les grévistes. Le gouvernement, selon une source proche du dossier, envisage pourtant un compromis d'ici la fin de la semaine."),
    ("Budget de Lyon", "Le maire de Lyon, Grégory Doucet, a présenté lundi le budget de la ville. « C'est un budget de transition », a-t-il expliqué aux élus. L'opposition dénonce une hausse des impôts locaux."),
    ("Crue de la Seine", "La Seine a atteint 5,8 mètres à Paris dimanche, d'après Vigicrues. Les autorités ont fermé plusieurs voies sur berge. Un responsable de la préfecture, qui a requis l'anonymat, juge la situation « sous contrôle »."),
    ("Élections en Allemagne", "Olaf Scholz a reconnu dimanche soir la défaite de son parti. Selon les premiers résultats, la CDU arrive en tête avec 29 % des voix. Friedrich Merz a promis un gouvernement « dans les semaines qui viennent »."),
    ("Prix du pain", "Le prix de la baguette a augmenté de 4 % en un an, selon l'Insee. Les boulangers invoquent le coût de l'énergie. « Nous n'avons pas le choix », affirme Dominique Anract, président de la Confédération de la boulangerie."),
    ("Tour de France", "Le Tour de France 2026 partira de Barcelone, a annoncé jeudi Christian Prudhomme. Le directeur de l'épreuve a salué « une ville de vélo ». Trois étapes se dérouleront en Catalogne avant l'arrivée en France."),
]

PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{title}</title>
<meta property="article:published_time" content="2026-03-12T08:00:00+01:00"></head>
<body><nav>Accueil · Politique · Économie</nav><article><h1>{title}</h1>
<p>{text}</p><p>En bref : {text}</p></article><footer>© Exemple 2026. Abonnez-vous à notre lettre.</footer></body></html>"""


def _warc(path: Path) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for n, (title, text) in enumerate(ARTICLES[:2]):
            body = PAGE.format(title=title, text=text).encode("utf-8")
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(f"https://exemple.fr/article/{n}", "response", payload=io.BytesIO(body), http_headers=headers,
                                                          warc_headers_dict={"WARC-Date": "2026-03-12T09:00:00Z"}))  # crawled the day of docs.jsonl
        image = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record("https://exemple.fr/logo.png", "response", payload=io.BytesIO(b"\x89PNG...."), http_headers=image))


@pytest.fixture(scope="session")
def archives(tmp_path_factory) -> Path:
    """A folder holding: docs.jsonl (good and bad lines), pages/ (text, HTML, a binary file),
    crawl.warc.gz (two pages and an image), wire.zip (a CSV), and what is not documents: a
    README.md, a LICENSE.txt and a hidden folder."""
    root = tmp_path_factory.mktemp("archives")
    lines = [json.dumps({"id": f"j{n}", "title": t, "text": x, "language": "fr", "published": "2026-03-12T07:00:00+01:00"}, ensure_ascii=False) for n, (t, x) in enumerate(ARTICLES[:4])]
    lines.insert(2, "{not json")
    lines.append(json.dumps({"id": "empty", "title": "Rien", "text": "   "}))
    lines.append(json.dumps({"id": "nothing"}))
    (root / "docs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    pages = root / "pages" / "2026" / "03"
    pages.mkdir(parents=True)
    (pages / "2026_03_12-001.txt").write_text(f"{ARTICLES[4][0]}\n\n{ARTICLES[4][1]}\n", encoding="utf-8")
    (pages / "2026_03_12-002.html").write_text(PAGE.format(title=ARTICLES[5][0], text=ARTICLES[5][1]), encoding="utf-8")
    (pages / "broken.txt").write_bytes(b"\x00\x01\x02binary")
    (pages / "notes.ann").write_text("T1\tPerson 0 5\tSophie\n", encoding="utf-8")  # not a document
    # the archive's own notes and a hidden folder: not documents, whatever their suffix
    (root / "README.md").write_text("# Archive\n\nPages crawled in March 2026, one folder per month.\n", encoding="utf-8")
    (pages / "LICENSE.txt").write_text("CC BY 4.0\n", encoding="utf-8")
    (root / ".cache").mkdir()
    (root / ".cache" / "index.jsonl").write_text(json.dumps({"id": "hidden", "title": "Caché", "text": "Un brouillon."}) + "\n", encoding="utf-8")
    _warc(root / "crawl.warc.gz")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["article_id", "publish_date", "article_source_link", "title", "subtitle", "text"])
    for n, (title, text) in enumerate(ARTICLES[2:5]):
        writer.writerow([f"c{n}", "2017/2/9", f"https://wire.example/{n}", title, "", text])
    with zipfile.ZipFile(root / "wire.zip", "w") as archive:
        archive.writestr("wire/articles.csv", buffer.getvalue())
    return root


@pytest.fixture(scope="session")
def ray_session():
    """One small local Ray for every test that needs it (2 CPUs, no dashboard)."""
    ray = pytest.importorskip("ray", reason="Ray is an optional extra: install entrelignes[ray]")
    if not ray.is_initialized():
        ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()
