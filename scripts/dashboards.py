#!/usr/bin/env python3
"""Writes the Grafana dashboards in deploy/grafana/dashboards/ (proof-overview.json and
proof-slo.json) from the panel definitions below, so that panel ids, the datasource
variable and the layout stay consistent. `--check` exits 1 when the committed files differ
from what this script writes (run by .ci/run).

Every expression uses only metrics and labels that the service's /metrics produces and
the recording rules of deploy/prometheus/alerts.yaml; tests query each one against a live
Prometheus under demo traffic (crates/proof-cli/tests/sandbox.rs)."""
import json
import pathlib
import sys

OUT = pathlib.Path(__file__).resolve().parent.parent / "deploy/grafana/dashboards"
DS = {"type": "prometheus", "uid": "${datasource}"}
API = 'route!~"/healthz|/readyz|/metrics|/cache/flush"'


def target(expr, legend="", ref="A"):
    return {"datasource": DS, "expr": expr, "legendFormat": legend, "refId": ref}


def stat(title, expr, color_steps, unit="short", decimals=None, desc=""):
    p = {
        "type": "stat", "title": title, "description": desc, "datasource": DS,
        "targets": [target(expr)],
        "options": {"colorMode": "background", "graphMode": "area", "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}},
        "fieldConfig": {"defaults": {"unit": unit, "thresholds": {"mode": "absolute", "steps": color_steps}}, "overrides": []},
    }
    if decimals is not None:
        p["fieldConfig"]["defaults"]["decimals"] = decimals
    return p


def series(title, targets, unit="short", desc=""):
    return {
        "type": "timeseries", "title": title, "description": desc, "datasource": DS,
        "targets": [target(e, l, chr(ord("A") + i)) for i, (e, l) in enumerate(targets)],
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "bottom"}, "tooltip": {"mode": "multi"}},
    }


def steps(*pairs):
    return [{"color": c, "value": v} for v, c in pairs]


def dashboard(uid, title, panels, desc):
    # 4 stat panels or 2 graphs per row of 24 columns.
    x = y = 0
    row_h = 0
    for i, p in enumerate(panels, start=1):
        w, h = (6, 4) if p["type"] == "stat" else (12, 8)
        if x + w > 24:
            x, y, row_h = 0, y + row_h, 0
        p["id"] = i
        p["gridPos"] = {"h": h, "w": w, "x": x, "y": y}
        x += w
        row_h = max(row_h, h)
    return {
        "uid": uid, "title": title, "description": desc, "tags": ["proof"],
        "schemaVersion": 39, "version": 1, "editable": True, "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"}, "timezone": "utc",
        "templating": {"list": [{
            "name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus",
            "current": {}, "hide": 0, "refresh": 1, "regex": "",
        }]},
        "annotations": {"list": []},
        "panels": panels,
    }


overview = dashboard("proof-overview", "proof: overview", [
    stat("OK verdicts", 'sum(increase(proof_verify_total{verdict="OK"}[$__range]))', steps((None, "green"))),
    stat("WARN verdicts", 'sum(increase(proof_verify_total{verdict="WARN"}[$__range]))', steps((None, "green"), (1, "orange"))),
    stat("FAIL verdicts", 'sum(increase(proof_verify_total{verdict="FAIL"}[$__range]))', steps((None, "green"), (1, "red"))),
    stat("Error rate (5xx, API)",
         f'(sum(rate(proof_http_requests_total{{{API},status=~"5.."}}[$__rate_interval])) or vector(0)) / sum(rate(proof_http_requests_total{{{API}}}[$__rate_interval]))',
         steps((None, "green"), (0.001, "orange"), (0.01, "red")), unit="percentunit", decimals=2),
    stat("Cache hit rate",
         'sum(rate(proof_cache_requests_total{result="hit"}[$__rate_interval])) / sum(rate(proof_cache_requests_total[$__rate_interval]))',
         steps((None, "red"), (0.8, "green")), unit="percentunit", decimals=1),
    stat("JWKS age", 'time() - max(proof_jwks_last_success_timestamp_seconds > 0)',
         steps((None, "green"), (1800, "orange"), (3600, "red")), unit="s",
         desc="Seconds since the IdP's signing keys were last fetched; at auth.jwks.max_stale_s requests fail closed."),
    stat("TLS certificate days left", '(min(proof_tls_cert_not_after_seconds) - time()) / 86400',
         steps((None, "red"), (14, "orange"), (30, "green")), unit="d", decimals=0),
    stat("Rules selected per plan", 'sum(rate(adapt_selected_rules_total[$__rate_interval])) / sum(rate(adapt_plans_total[$__rate_interval]))',
         steps((None, "blue")), decimals=2),
    series("Latency p95 per route", [
        ('histogram_quantile(0.95, sum by (route, le) (rate(proof_http_request_duration_seconds_bucket[$__rate_interval])))', "{{route}}")], unit="s"),
    series("Latency p99 per route", [
        ('histogram_quantile(0.99, sum by (route, le) (rate(proof_http_request_duration_seconds_bucket[$__rate_interval])))', "{{route}}")], unit="s"),
    series("Requests by route and status", [
        ('sum by (route, status) (rate(proof_http_requests_total[$__rate_interval]))', "{{route}} {{status}}")], unit="reqps"),
    series("Verdicts", [('sum by (verdict) (rate(proof_verify_total[$__rate_interval]))', "{{verdict}}")], unit="reqps"),
    series("Auth outcomes", [('sum by (result) (rate(proof_auth_requests_total[$__rate_interval]))', "{{result}}")], unit="reqps"),
    series("JWKS refreshes", [('sum by (result) (rate(proof_jwks_refresh_total[$__rate_interval]))', "{{result}}")], unit="ops"),
    series("Cache lookups", [('sum by (result) (rate(proof_cache_requests_total[$__rate_interval]))', "{{result}}")], unit="ops"),
    series("TLS handshakes and client certificates", [
        ('sum by (result) (rate(proof_tls_handshakes_total[$__rate_interval]))', "handshake {{result}}"),
        ('sum by (result) (rate(proof_tls_client_auth_total[$__rate_interval]))', "client cert {{result}}")], unit="ops"),
    series("Compiles", [('sum by (result) (rate(proof_compile_total[$__rate_interval]))', "{{result}}")], unit="ops"),
    series("Connections", [('sum by (listener) (proof_connections_open)', "open {{listener}}")],
           desc="Open connections per listener; each is capped by limits.max_connections."),
    series("Connections refused and timed out", [
        ('sum by (listener, reason) (rate(proof_connections_refused_total[$__rate_interval]))', "refused {{listener}} {{reason}}"),
        ('sum by (listener, reason) (rate(proof_connections_timed_out_total[$__rate_interval]))', "closed {{listener}} {{reason}}")], unit="ops",
           desc="Connections closed at accept by a cap, and slow or idle clients cut off (docs/configuration.md)."),
    series("Reference lists: age and maximum age", [
        ('max by (list) (proof_list_age_seconds)', "age {{list}}"),
        ('max by (list) (proof_list_max_age_seconds)', "max age {{list}}")], unit="s",
           desc="Seconds since each served list version was published, against lists.max_age_s (alert ProofListStale)."),
    series("Reference lists: entries and updates", [
        ('max by (list) (proof_list_entries)', "entries {{list}}"),
        ('sum by (result) (increase(proof_list_updates_total[$__rate_interval]))', "updates {{result}}")],
           desc="Distinct leaves per served list, and new versions taken up from the store (failed: the previous ones stay in service)."),
    series("Verification log: receipts and failed appends", [
        ('sum by (result) (increase(proof_receipts_total[$__rate_interval]))', "receipts {{result}}"),
        ('sum(increase(proof_log_append_failures_total[$__rate_interval]))', "failed append transactions")],
           desc="Receipts asked for on /verify (unavailable: refused with 503 because the log could not append), and failed group commits (alert ProofLogAppendFailing; docs/log.md)."),
    series("Verification log: append latency", [
        ('histogram_quantile(0.5, sum by (le) (rate(proof_log_append_duration_seconds_bucket[$__rate_interval])))', "p50"),
        ('histogram_quantile(0.99, sum by (le) (rate(proof_log_append_duration_seconds_bucket[$__rate_interval])))', "p99")], unit="s",
           desc="Seconds per group-commit transaction; a receipt waits for one, plus the batch before it."),
    series("Adapt selection latency", [
        ('histogram_quantile(0.95, sum by (le) (rate(adapt_selection_latency_seconds_bucket[$__rate_interval])))', "p95"),
        ('histogram_quantile(0.99, sum by (le) (rate(adapt_selection_latency_seconds_bucket[$__rate_interval])))', "p99")], unit="s"),
    series("Adapt: selected rules", [('sum(rate(adapt_selected_rules_total[$__rate_interval]))', "rules/s"),
                                     ('sum by (selector) (rate(adapt_plans_total[$__rate_interval]))', "plans/s {{selector}}")], unit="ops"),
], "Verdicts, latency, errors, cache, auth, TLS, connections, reference lists, the verification log and the orchestrator of proof serve.")

AVAIL_30D = (f'1 - ((sum(increase(proof_http_requests_total{{{API},status=~"5.."}}[30d])) or vector(0))'
             f' / sum(increase(proof_http_requests_total{{{API}}}[30d])))')
slo = dashboard("proof-slo", "proof: SLOs", [
    stat("Availability, 30 days (SLO 99.9%)", AVAIL_30D, steps((None, "red"), (0.999, "green")), unit="percentunit", decimals=3),
    stat("Error budget left, 30 days", f'1 - (1 - ({AVAIL_30D})) / 0.001', steps((None, "red"), (0.25, "orange"), (0.5, "green")), unit="percentunit", decimals=1),
    stat("/verify within 25 ms, 30 days (SLO 99%)",
         'sum(increase(proof_http_request_duration_seconds_bucket{route="/verify",le="0.025"}[30d])) / sum(increase(proof_http_request_duration_seconds_count{route="/verify"}[30d]))',
         steps((None, "red"), (0.99, "green")), unit="percentunit", decimals=3),
    stat("/verify p95, 5 min", 'histogram_quantile(0.95, sum by (le) (rate(proof_http_request_duration_seconds_bucket{route="/verify"}[5m])))',
         steps((None, "green"), (0.025, "orange"), (0.5, "red")), unit="s"),
    series("Availability burn rate (× budget rate; page at 14.4 on 1 h and 5 m)", [
        ("proof:api_error_ratio:rate5m / 0.001", "5m"), ("proof:api_error_ratio:rate30m / 0.001", "30m"),
        ("proof:api_error_ratio:rate1h / 0.001", "1h"), ("proof:api_error_ratio:rate6h / 0.001", "6h")]),
    series("Latency burn rate (× budget rate)", [
        ("proof:verify_slow_ratio:rate5m / 0.01", "5m"), ("proof:verify_slow_ratio:rate1h / 0.01", "1h")]),
    series("Availability SLI, 5 min", [("1 - proof:api_error_ratio:rate5m", "available")], unit="percentunit"),
    series("Latency SLI: /verify within 25 ms, 5 min", [("1 - proof:verify_slow_ratio:rate5m", "within 25 ms")], unit="percentunit"),
], "Availability and latency SLOs of proof (docs/slo.md): SLIs, remaining error budget, multi-window burn rates.")


def main():
    check = "--check" in sys.argv
    bad = []
    for name, d in (("proof-overview.json", overview), ("proof-slo.json", slo)):
        text = json.dumps(d, indent=2, ensure_ascii=False) + "\n"
        path = OUT / name
        if check:
            if not path.exists() or path.read_text() != text:
                bad.append(str(path))
        else:
            OUT.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if bad:
        print("dashboards out of date (run scripts/dashboards.py):", *bad, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
