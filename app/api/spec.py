"""The OpenAPI 3.1 document, generated from the routes that serve the API.

`api_route` registers a view on the blueprint AND records what it takes (path
parameters, a query model, a body model) and what it answers (a response model per
status). `openapi_document` assembles those records, and the JSON Schemas pydantic
writes for the models, into the document served at /api/v1/openapi.json. A route
not declared through `api_route` is not in the API; a model change is in the
document the moment it is served.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from app.api.schemas import Problem

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.1.0"
REF = "#/components/schemas/{model}"

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclass
class Operation:
    rule: str
    method: str
    endpoint: str
    summary: str
    description: str
    tags: list[str]
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    responses: dict[int, tuple[type[BaseModel] | None, str]]
    path_params: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (type, doc)
    secured: bool = False
    list_headers: bool = False
    conditional: bool = False

    @property
    def path(self) -> str:
        return _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", self.rule)


OPERATIONS: list[Operation] = []


def api_route(
    bp: Blueprint,
    rule: str,
    *,
    summary: str,
    response: type[BaseModel],
    method: str = "GET",
    description: str = "",
    tags: tuple[str, ...] = (),
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    path_docs: dict[str, str] | None = None,
    errors: tuple[int, ...] = (),
    secured: bool = False,
    paginated: bool = False,
    conditional: bool = True,
) -> Callable:
    """Route a view under `bp` and describe it in the OpenAPI document."""

    def decorate(view: Callable) -> Callable:
        endpoint = view.__name__
        bp.add_url_rule(rule, endpoint, view, methods=[method])
        responses: dict[int, tuple[type[BaseModel] | None, str]] = {200: (response, "OK")}
        if conditional:
            responses[304] = (None, "Not modified: the ETag sent in If-None-Match still holds")
        if query is not None or body is not None:
            responses[400] = (Problem, "A parameter is not valid")
        # A path that names nothing (an unknown slug, an id out of range) is a 404.
        for status in (*errors, *((404,) if "<" in rule else ())):
            responses[status] = (Problem, _ERROR_TEXT[status])
        params = {}
        for conv, name in _CONVERTER.findall(rule):
            params[name] = ("integer" if conv == "int" else "string", (path_docs or {}).get(name, ""))
        OPERATIONS.append(Operation(
            rule=bp.url_prefix + rule if bp.url_prefix else rule,
            method=method.lower(),
            endpoint=f"{bp.name}.{endpoint}",
            summary=summary,
            description=description or (view.__doc__ or "").strip(),
            tags=list(tags),
            query=query,
            body=body,
            responses=responses,
            path_params=params,
            secured=secured,
            list_headers=paginated,
            conditional=conditional,
        ))
        return view

    return decorate


_ERROR_TEXT = {
    401: "No valid API key was given",
    403: "The API key does not reach this event",
    404: "Nothing public has this identifier",
    409: "The request conflicts with the current state",
    429: "Too many requests for this API key: wait and try again",
}


def _models() -> list[type[BaseModel]]:
    seen: dict[type[BaseModel], None] = {Problem: None}
    for op in OPERATIONS:
        for model in (op.query, op.body, *(m for m, _ in op.responses.values())):
            if model is not None:
                seen[model] = None
    return list(seen)


def _parameters(op: Operation, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for name, (kind, doc) in op.path_params.items():
        param: dict[str, Any] = {"name": name, "in": "path", "required": True,
                                 "schema": {"type": kind}}
        if kind == "string":
            param["schema"]["minLength"] = 1
        if doc:
            param["description"] = doc
        params.append(param)
    if op.query is not None:
        schema = schemas[op.query.__name__]
        required = set(schema.get("required", []))
        for name, prop in schema["properties"].items():
            prop = dict(prop)
            description = prop.pop("description", "")
            prop.pop("title", None)
            param = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if description:
                param["description"] = description
            params.append(param)
    return params


def _response(op: Operation, status: int, model: type[BaseModel] | None, text: str) -> dict:
    out: dict[str, Any] = {"description": text}
    headers: dict[str, Any] = {}
    if status in (200, 304) and op.conditional:
        headers["ETag"] = {"description": "send it back in If-None-Match",
                           "schema": {"type": "string"}}
    if status == 200 and op.list_headers:
        headers["Link"] = {"description": "RFC 8288 links: first, prev, next, last",
                           "schema": {"type": "string"}}
    if status == 429:
        headers["Retry-After"] = {"description": "seconds", "schema": {"type": "string"}}
    if headers:
        out["headers"] = headers
    if model is not None:
        media = "application/problem+json" if model is Problem else "application/json"
        out["content"] = {media: {"schema": {"$ref": REF.format(model=model.__name__)}}}
    return out


def openapi_document(base_url: str) -> dict[str, Any]:
    _, top = models_json_schema(
        [(m, "validation" if m in {op.query for op in OPERATIONS} | {op.body for op in OPERATIONS}
          else "serialization") for m in _models()],
        ref_template=REF,
    )
    schemas: dict[str, Any] = top.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        item: dict[str, Any] = {
            "operationId": op.endpoint.replace(".", "_"),
            "summary": op.summary,
            "tags": op.tags,
            "responses": {
                str(status): _response(op, status, model, text)
                for status, (model, text) in sorted(op.responses.items())
            },
        }
        if op.description:
            item["description"] = op.description
        params = _parameters(op, schemas)
        if params:
            item["parameters"] = params
        if op.body is not None:
            item["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": REF.format(model=op.body.__name__)}}}}
        if op.secured:
            item["security"] = [{"apiKey": []}]
        paths.setdefault(op.path, {})[op.method] = item
    # Query models are described as parameters, not as bodies.
    for op in OPERATIONS:
        if op.query is not None:
            schemas.pop(op.query.__name__, None)
    return {
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "Eventi API",
            "version": API_VERSION,
            "summary": "Public events, programmes, projects, venues and speakers, read-only.",
            "description": (
                "Read-only and open: no key is needed for the public catalogue. Times are "
                "ISO 8601 with the offset of the event's time zone, which is named beside "
                "them. Lists are paginated (`page`, `per_page`) with RFC 8288 `Link` "
                "headers. Every answer carries an `ETag`: send it back in `If-None-Match` "
                "to get `304 Not Modified` while nothing changed. Organisers' keys "
                "(back-office, *API keys*) reach the registrations of their events and "
                "check people in at the door.\n\n"
                "Texts written by organisers come as `{\"it\": …, \"en\": …}` (the "
                "`LocalizedText` schema): a language the text is not written in is absent.\n\n"
                "## Changes\n\n"
                "- **1.1.0**: the `title` and `description` of programme items (`programme`, "
                "`parts`) and the `title` of materials changed shape from a string to "
                "`LocalizedText`, like the events' texts already were. Read "
                "`title.it` (or `title.en`) where you read `title`.\n"
                "- **1.0.0**: first version."
            ),
            "license": {"name": "CC BY 4.0", "identifier": "CC-BY-4.0"},
        },
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer",
                           "description": "An organiser's API key: `Authorization: Bearer ev_…`"},
            },
        },
    }
