// Validates rendered custom resources against their CRDs' OpenAPI schemas, twice:
//  1. the kubernetes-models validators (compiled from the upstream CRDs): types, required
//     fields, enums, patterns and formats;
//  2. strictly, as `kubernetes-validate --strict` does for built-in kinds: every object is
//     written as a typed TypeScript literal and `tsc` rejects any property the CRD does not
//     define (excess property checks).
// Usage: node validate-crds.mjs objects.json   (a JSON array of {source, object})
// Exit 0 when all pass; 1 with one line per problem; 2 on usage errors.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

// apiVersion/kind -> [module, class/interface name]
const KINDS = {
  "cert-manager.io/v1/Certificate": ["@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate", "Certificate"],
  "monitoring.coreos.com/v1/ServiceMonitor": ["@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor", "ServiceMonitor"],
  "monitoring.coreos.com/v1/PrometheusRule": ["@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule", "PrometheusRule"],
  "external-secrets.io/v1/ExternalSecret": ["@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret", "ExternalSecret"],
  "bitnami.com/v1alpha1/SealedSecret": ["@kubernetes-models/sealed-secrets/bitnami.com/v1alpha1/SealedSecret", "SealedSecret"],
};

if (process.argv.length !== 3) {
  console.error("usage: node validate-crds.mjs objects.json");
  process.exit(2);
}
const items = JSON.parse(readFileSync(process.argv[2], "utf8"));
const problems = [];
const ts = [];
const imported = new Set();
for (const [n, { source, object }] of items.entries()) {
  const key = `${object.apiVersion}/${object.kind}`;
  const entry = KINDS[key];
  const where = `${source}: ${object.kind}/${object.metadata?.name}`;
  if (!entry) {
    problems.push(`${where}: no schema bundled for ${key}`);
    continue;
  }
  const [mod, cls] = entry;
  const Model = (await import(mod))[cls];
  try {
    new Model(object).validate();
  } catch (e) {
    problems.push(`${where}: ${e.message}`);
  }
  if (!imported.has(key)) {
    ts.unshift(`import type { I${cls} } from "${mod}";`);
    imported.add(key);
  }
  ts.push(`// ${where}\nexport const o${n}: I${cls} = ${JSON.stringify(object)};`);
}

if (ts.length > 0) {
  const out = join(here, "out");
  mkdirSync(out, { recursive: true });
  const file = join(out, "crds.ts");
  writeFileSync(file, ts.join("\n") + "\n");
  try {
    execFileSync(
      process.execPath,
      [join(here, "node_modules/typescript/bin/tsc"), "--noEmit", "--strict", "--skipLibCheck",
        "--module", "nodenext", "--moduleResolution", "nodenext", file],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
  } catch (e) {
    const lines = `${e.stdout}${e.stderr}`.split("\n").filter((l) => l.includes("error TS"));
    for (const l of lines) {
      const m = /^.*crds\.ts\((\d+),\d+\): (.*)$/.exec(l);
      if (!m) { problems.push(l); continue; }
      const line = ts.join("\n").split("\n")[Number(m[1]) - 2] ?? "";
      problems.push(`${line.replace(/^\/\/ /, "")}: ${m[2]}`);
    }
    if (lines.length === 0) problems.push(`tsc failed: ${e.message}`);
  }
}

for (const p of problems) console.log(p);
console.log(`${items.length} custom resources checked, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
