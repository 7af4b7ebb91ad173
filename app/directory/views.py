"""A speaker's sessions across events; a venue with its address, map and events."""
from __future__ import annotations

from flask import abort, current_app, render_template, url_for

from app.directory import bp, services
from app.events import services as catalogue
from app.files import services as files
from app.files.templating import picture_sources


def _absolute(endpoint: str, **values) -> str:
    return current_app.config["BASE_URL"] + url_for(endpoint, **values)


@bp.get("/speakers/<slug>/")
def speaker(slug: str):
    sp = services.get_public_speaker(slug)
    if sp is None:
        abort(404)
    sessions = services.speaker_sessions(sp)
    page_url = _absolute("directory.speaker", slug=sp.slug)
    person = {"@context": "https://schema.org", "@type": "Person", "name": sp.name,
              "url": page_url}
    if sp.role:
        person["jobTitle"] = sp.role
    if sp.affiliation:
        person["affiliation"] = {"@type": "Organization", "name": sp.affiliation}
    photo = picture_sources(files.picture_of("speaker", sp.id), "card")
    if photo:
        person["image"] = current_app.config["BASE_URL"] + photo["jpeg"]
    return render_template("directory/speaker.html", speaker=sp, sessions=sessions, photo=photo,
                           page_url=page_url, structured_data=catalogue.json_for_script(person))


@bp.get("/venues/<slug>/")
def venue(slug: str):
    v = services.get_public_venue(slug) or abort(404)
    upcoming, past = services.venue_events(v)
    return render_template(
        "directory/venue.html", venue=v, upcoming=upcoming, past=past,
        map_url=catalogue.map_url(v), directions_url=services.directions_url(v),
        page_url=_absolute("directory.venue", slug=v.slug),
        photo=picture_sources(files.picture_of("venue", v.id), "page"),
    )
