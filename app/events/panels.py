"""Panels other capabilities add to the event's pages, so events imports none of them.

A capability registers a template and a function computing its values from the event;
the events view calls every function and passes the values, so templates never query.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.events.models import Event

# "page": the public event page (beside the programme); "admin": the back-office event page.
PLACES = ("page", "admin")


@dataclass(frozen=True)
class Panel:
    template: str
    values: Callable[[Event], dict[str, Any]]


PANELS: dict[str, list[Panel]] = {place: [] for place in PLACES}


def event_panel(place: str, template: str):
    """Decorate `values(event) -> dict`: the event's `place` page includes `template`
    with those values as `panel`."""
    def decorator(func: Callable[[Event], dict[str, Any]]):
        panels = PANELS[place]
        if all(p.template != template for p in panels):
            panels.append(Panel(template, func))
        return func

    return decorator


def panels_for(place: str, event: Event) -> list[tuple[str, dict[str, Any]]]:
    """(template, values) of every panel registered for `place`, in registration order."""
    return [(panel.template, panel.values(event)) for panel in PANELS[place]]
