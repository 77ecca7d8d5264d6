#!/usr/bin/env python3
"""Copies the alert rules and Grafana dashboards into the Helm chart (deploy/helm/proof/files),
which can only read files inside itself. The copies are what the chart's PrometheusRule and
dashboard ConfigMap render; the originals are what promtool and the tests check.

    scripts/chart-files.py          # copy
    scripts/chart-files.py --check  # exit 1 if a copy differs (run by .ci/run)
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = ROOT / "deploy/helm/proof/files"
PAIRS = [(ROOT / "deploy/prometheus/alerts.yaml", FILES / "alerts.yaml")] + [
    (p, FILES / "dashboards" / p.name) for p in sorted((ROOT / "deploy/grafana/dashboards").glob("*.json"))
]


def main() -> int:
    check = sys.argv[1:] == ["--check"]
    if sys.argv[1:] not in ([], ["--check"]):
        print(__doc__, file=sys.stderr)
        return 2
    stale = [dst for src, dst in PAIRS if not dst.exists() or dst.read_bytes() != src.read_bytes()]
    extra = [p for p in (FILES / "dashboards").glob("*.json") if p not in {d for _, d in PAIRS}]
    if check:
        for p in stale + extra:
            print(f"{p.relative_to(ROOT)} is stale: run scripts/chart-files.py", file=sys.stderr)
        return 1 if stale or extra else 0
    for src, dst in PAIRS:
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(src.read_bytes())
    for p in extra:
        p.unlink()
    print(f"{len(PAIRS)} files copied into {FILES.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
