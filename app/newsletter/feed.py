"""The archive of sent issues as an Atom feed (RFC 4287), built with xml.etree."""
from __future__ import annotations

from xml.etree import ElementTree as ET

from flask import current_app

from app.db import utcnow
from app.newsletter.models import Campaign
from app.newsletter.services import external_url
from app.text import render_markdown

ATOM = "http://www.w3.org/2005/Atom"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def archive_feed(campaigns: list[Campaign]) -> bytes:
    config = current_app.config
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    archive_url = external_url("newsletter.archive")
    self_url = external_url("newsletter.archive_feed_view")
    _sub(feed, "id", self_url)
    _sub(feed, "title", config["NEWSLETTER_NAME"])
    _sub(feed, "subtitle", config["ORGANISATION_NAME"])
    updated = max((c.sent_at for c in campaigns if c.sent_at), default=None) or utcnow()
    _sub(feed, "updated", updated.isoformat())
    _sub(feed, "link", href=archive_url, rel="alternate", type="text/html")
    _sub(feed, "link", href=self_url, rel="self", type="application/atom+xml")
    author = _sub(feed, "author")
    _sub(author, "name", config["ORGANISATION_NAME"])
    for campaign in campaigns:
        url = external_url("newsletter.archive_detail", campaign_id=campaign.id)
        entry = _sub(feed, "entry")
        _sub(entry, "id", url)
        _sub(entry, "title", campaign.subject)
        when = (campaign.sent_at or campaign.updated_at).isoformat()
        _sub(entry, "published", when)
        _sub(entry, "updated", when)
        _sub(entry, "link", href=url, rel="alternate", type="text/html")
        _sub(entry, "content", str(render_markdown(campaign.body_markdown)), type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
