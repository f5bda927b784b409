"""Prometheus metrics: request counts and latencies by route template, plus job runs."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest


class Metrics:
    """One registry per app, so tests (and several apps in one process) do not collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "varsel_http_requests_total",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "varsel_http_request_duration_seconds",
            "HTTP request duration by method and route template",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.job_runs = Counter(
            "varsel_job_runs_total", "Scheduled job runs by job and outcome", ["job", "outcome"],
            registry=self.registry,
        )
        self.job_duration = Histogram(
            "varsel_job_duration_seconds", "Scheduled job duration", ["job"], registry=self.registry
        )
        self.notices = Counter(
            "varsel_notices_received_total", "Notices stored, by kind", ["kind"], registry=self.registry
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
