"""OPML import and export, compatible with the common feed readers (Miniflux, FreshRSS,
Feedly, NetNewsWire, Inoreader).

Folders become tags: an outline nested in folder outlines gets the folders' titles as tags (a
feed listed in two folders gets both), and a `category="/a/b,c"` attribute adds its parts.
Export writes one folder per tag (a feed with two tags appears in both folders, as these
readers do) and untagged feeds at the top, so export then import gives the same sources.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError, SubElement, indent, tostring

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException

from entrelignes.config import SourceConfig


class OPMLError(ValueError):
    pass


def import_opml(document: bytes) -> list[SourceConfig]:
    """The feeds of an OPML document, folders as tags, in document order. It takes the file's
    bytes: the XML parser reads the encoding it declares (readers still export ISO-8859-1)."""
    try:
        root = DefusedET.fromstring(document.lstrip(), forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise OPMLError(f"refused OPML: {error}") from None
    except ParseError as error:
        raise OPMLError(f"malformed OPML: {error}") from None
    if root.tag.lower() != "opml":
        raise OPMLError(f"not an OPML file: root element <{root.tag}>")
    body = root.find("body")
    if body is None:
        return []
    found: dict[str, dict[str, Any]] = {}

    def walk(element: Element, folders: tuple[str, ...]) -> None:
        for outline in element:
            if outline.tag.lower() != "outline":
                continue
            attrs = {k.lower(): v for k, v in outline.attrib.items()}
            url = (attrs.get("xmlurl") or "").strip()
            title = (attrs.get("title") or attrs.get("text") or "").strip()
            if url:
                tags = list(folders)
                for category in (attrs.get("category") or "").split(","):
                    tags.extend(part.strip() for part in category.split("/") if part.strip())
                entry = found.setdefault(url, {"name": title or url, "url": url, "tags": [], "language": "", "site_url": ""})
                entry["tags"].extend(t for t in tags if t not in entry["tags"])
                entry["language"] = entry["language"] or (attrs.get("language") or "").strip()
                entry["site_url"] = entry["site_url"] or (attrs.get("htmlurl") or "").strip()
                walk(outline, folders)
            else:
                walk(outline, folders + ((title,) if title else ()))

    walk(body, ())
    return [
        SourceConfig(name=e["name"], url=e["url"], tags=tuple(e["tags"]), language=e["language"], site_url=e["site_url"])
        for e in found.values()
    ]


def export_opml(sources: Iterable[Any], title: str = "entrelignes sources") -> str:
    """OPML 2.0 for `sources` (SourceConfig or stored Source rows: anything with name, url,
    tags, and optionally language and site_url)."""
    root = Element("opml", version="2.0")
    head = SubElement(root, "head")
    SubElement(head, "title").text = title
    SubElement(head, "dateCreated").text = format_datetime(datetime.now(timezone.utc), usegmt=True)
    body = SubElement(root, "body")
    folders: dict[str, Element] = {}
    for source in sources:
        tags = list(getattr(source, "tags", ()) or ())
        parents = [folders.setdefault(tag, SubElement(body, "outline", text=tag, title=tag)) for tag in tags] or [body]
        for parent in parents:
            attrs = {"type": "rss", "text": source.name, "title": source.name, "xmlUrl": source.url}
            if getattr(source, "site_url", ""):
                attrs["htmlUrl"] = source.site_url
            if getattr(source, "language", ""):
                attrs["language"] = source.language
            SubElement(parent, "outline", attrs)
    indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="unicode") + "\n"
