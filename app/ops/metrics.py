"""Prometheus metrics at /metrics, for the addresses in METRICS_ALLOWED_NETWORKS only.

Two kinds of figures:
- per request, counted by the process that served it: requests by route, method and
  status, and latency histograms by route. Under gunicorn each worker counts its own;
  with PROMETHEUS_MULTIPROC_DIR set (deploy/gunicorn.conf.py sets it) the workers write
  to files there and any worker's /metrics adds them up.
- read from the database at each scrape, so every host reports the same cluster-wide
  truth: outbox backlog and oldest due age, deliveries sent and failed, campaign
  progress, scheduler leader and lease age, registrations by status.
"""
from __future__ import annotations

import ipaddress
import os

import sqlalchemy as sa
from flask import Flask, Response, abort, current_app, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess as prom_multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from app.db import utcnow
from app.extensions import db

REQUESTS_REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "eventi_http_requests", "HTTP requests served, by route template, method and status.",
    ["route", "method", "status"], registry=REQUESTS_REGISTRY,
)
LATENCY = Histogram(
    "eventi_http_request_duration_seconds", "Time to build the response, by route template.",
    ["route"], registry=REQUESTS_REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DEFAULT_ALLOWED = "127.0.0.1/32,::1/128"


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


def allowed_networks(config) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    raw = config.get("METRICS_ALLOWED_NETWORKS")
    if raw is None:
        raw = os.environ.get("METRICS_ALLOWED_NETWORKS", DEFAULT_ALLOWED)
    if isinstance(raw, str):
        raw = [part for part in raw.replace(" ", ",").split(",") if part]
    return [ipaddress.ip_network(part, strict=False) for part in raw]


def client_allowed() -> bool:
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in net for net in current_app.extensions["eventi_metrics_networks"])


class DatabaseCollector:
    """Cluster-wide gauges read from the database when Prometheus scrapes."""

    def collect(self):
        from app.mail.models import OutboxMessage, OutboxStatus
        from app.newsletter.models import Campaign, CampaignStatus, Delivery
        from app.registrations.models import Registration
        from app.scheduler.models import SchedulerLease

        now = utcnow()
        session = db.session

        outbox = GaugeMetricFamily("eventi_outbox_messages", "Outbox e-mails by status.",
                                   labels=["status"])
        for status, count in session.execute(
            sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
        ):
            outbox.add_metric([str(status.value)], count)
        yield outbox

        oldest = session.scalar(sa.select(sa.func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now))
        yield GaugeMetricFamily(
            "eventi_outbox_oldest_due_seconds",
            "Age of the oldest outbox e-mail that is due and not sent (0 when none).",
            value=max(0.0, (now - _aware(oldest)).total_seconds()) if oldest else 0.0,
        )

        deliveries = GaugeMetricFamily("eventi_newsletter_deliveries",
                                       "Newsletter deliveries by status.", labels=["status"])
        for status, count in session.execute(
            sa.select(Delivery.status, sa.func.count()).group_by(Delivery.status)
        ):
            deliveries.add_metric([str(status.value)], count)
        yield deliveries

        progress = GaugeMetricFamily(
            "eventi_campaign_deliveries", "Deliveries of campaigns being sent, by status.",
            labels=["campaign", "status"])
        for campaign_id, status, count in session.execute(
            sa.select(Delivery.campaign_id, Delivery.status, sa.func.count())
            .join(Campaign, Campaign.id == Delivery.campaign_id)
            .where(Campaign.status == CampaignStatus.SENDING)
            .group_by(Delivery.campaign_id, Delivery.status)
        ):
            progress.add_metric([str(campaign_id), str(status.value)], count)
        yield progress

        lease = session.get(SchedulerLease, "scheduler")
        leader = GaugeMetricFamily("eventi_scheduler_leader",
                                   "1 for the holder of an unexpired scheduler lease.",
                                   labels=["holder"])
        if lease is not None and _aware(lease.expires_at) >= now:
            leader.add_metric([lease.holder], 1)
        yield leader
        yield GaugeMetricFamily(
            "eventi_scheduler_lease_age_seconds",
            "Seconds since the scheduler leader last renewed its lease (-1: never).",
            value=(now - _aware(lease.renewed_at)).total_seconds() if lease else -1.0,
        )

        registrations = GaugeMetricFamily("eventi_registrations",
                                          "Registrations by status (waitlisted = waiting list).",
                                          labels=["status"])
        for status, count in session.execute(
            sa.select(Registration.status, sa.func.count()).group_by(Registration.status)
        ):
            registrations.add_metric([str(status.value)], count)
        yield registrations
        session.rollback()


def _aware(value):
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def render_metrics() -> Response:
    if not client_allowed():
        abort(403)
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        prom_multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Forward(REQUESTS_REGISTRY))
    registry.register(DatabaseCollector())
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})


class _Forward:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self):
        yield from self.registry.collect()


def observe(route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route).observe(seconds)


def install(app: Flask) -> None:
    app.extensions["eventi_metrics_networks"] = allowed_networks(app.config)
