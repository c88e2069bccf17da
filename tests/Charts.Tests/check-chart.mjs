// Renders charts/medins-city with Helm for each values file and checks the objects: Kubernetes and Prometheus
// operator schemas (kubernetes-models), Dapr resources, and the platform's own invariants. The facts the chart must
// agree with (which service subscribes to and publishes which topic, which service calls which, which metrics
// exist) are read from the services' source, so the chart cannot drift from the code unnoticed.
// Usage: HELM=<helm binary> node check-chart.mjs   (run.sh installs everything and sets HELM)
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, existsSync, writeFileSync, copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { join, dirname } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { parseAllDocuments, parse as parseYaml, stringify as toYaml } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");
const chart = join(repo, "charts", "medins-city");
const helm = process.env.HELM ?? "helm";
const promtool = process.env.PROMTOOL ?? "promtool";
const ruleTests = join(here, "rules");
const release = "city";
const namespace = "medins-city";

// ------------------------------------------------------------------ tiny test runner
let passed = 0;
let failed = 0;
function test(name, fn) {
  try {
    const problems = fn() ?? [];
    if (problems.length === 0) {
      passed++;
      console.log(`  ok    ${name}`);
    } else {
      failed++;
      console.log(`  FAIL  ${name}`);
      for (const p of problems.slice(0, 20)) console.log(`          - ${p}`);
      if (problems.length > 20) console.log(`          - ... and ${problems.length - 20} more`);
    }
  } catch (e) {
    failed++;
    console.log(`  FAIL  ${name}\n          - ${String(e.message ?? e).split("\n").slice(0, 12).join("\n            ")}`);
  }
}
const check = (cond, message, problems) => { if (!cond) problems.push(message); };
// Names of the Secrets a values file says exist outside the chart (existingSecret, per-issuer and Dapr token Secrets).
const externalSecrets = (vals) => new Set([
  ...Object.values(vals.secrets).map((s) => s.existingSecret),
  ...Object.values(vals.secrets.assertion?.existingSecrets ?? {}),
  vals.secrets.dapr?.appTokenSecret, vals.secrets.dapr?.apiTokenSecret,
].filter(Boolean));
// Public key material: the trusted keys' ids, issuers and certificates may be literals (extraTrustedKeys).
const publicSetting = /^Auth__TrustedKeys__\d+__(Id|Issuer|PublicKey)$/;
const eqSets = (a, b) => a.size === b.size && [...a].every((x) => b.has(x));
const fmt = (s) => `{${[...s].sort().join(", ")}}`;

// ------------------------------------------------------------------ facts from the source
const read = (path) => readFileSync(join(repo, path), "utf8");
const topicsByConstant = Object.fromEntries(
  [...read("protos/EventTopics.cs").matchAll(/const string (\w+) = "([^"]+)"/g)].map((m) => [m[1], m[2]]));
const serviceFolders = {
  "identity-registry": "services/IdentityRegistry",
  "contribution-calculation": "services/ContributionCalculation",
  "payment-collection": "services/PaymentCollection",
  "quota-tracking": "services/QuotaTracking",
  "notification": "services/Notification",
};
function sourceFiles(folder) {
  const out = [];
  const walk = (dir) => {
    for (const entry of readdirSync(join(repo, dir), { withFileTypes: true })) {
      if (entry.name === "bin" || entry.name === "obj") continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".cs")) out.push(path);
    }
  };
  walk(folder);
  return out;
}
const code = {};
for (const [appId, folder] of Object.entries(serviceFolders)) {
  const program = read(join(folder, "Program.cs"));
  const all = sourceFiles(folder).map(read).join("\n");
  code[appId] = {
    subscribes: new Set([...program.matchAll(/MapEventSubscription<[^>]+>\(EventTopics\.(\w+)[,)]/g)].map((m) => topicsByConstant[m[1]])),
    // The one publisher each subscription route accepts deliveries from: a literal app id or a constant named after it.
    publisherOf: Object.fromEntries([...program.matchAll(/MapEventSubscription<[^>]+>\(EventTopics\.(\w+),\s*("([^"]+)"|(\w+))\)/g)]
      .map((m) => [topicsByConstant[m[1]], m[3] ?? m[4].replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase()])),
    publishes: new Set([...all.matchAll(/outbox\.AddAsync\([^;]*?EventTopics\.(\w+)/gis)].map((m) => topicsByConstant[m[1]])),
    calls: new Set([...program.matchAll(/AddServiceClient<[^>]+>\("([^"]+)"[,)]/g)].map((m) => m[1])),
  };
}
// Dapr dead letters: the suffix of each app's dead-letter topic, and whether the one subscription method names it.
const messaging = "services/Platform.Hosting/Messaging";
const deadLetterSuffix = read(`${messaging}/DeadLetterSubscription.cs`).match(/const string Suffix = "([^"]+)"/)?.[1];
const deadLetterOf = (app) => `${app}${deadLetterSuffix}`;
const subscriptionsNameDeadLetter = /\.WithTopic\(new TopicOptions\s*\{[^}]*DeadLetterTopic = DeadLetterTopics\.For\(appId\)/
  .test(read(`${messaging}/EventSubscriptions.cs`));
const metricNames = new Set();
for (const folder of ["services", "gateway"]) {
  for (const file of sourceFiles(folder)) {
    for (const m of read(file).matchAll(/Metrics\.Create(Counter|Gauge|Histogram|Summary)\("([^"]+)"/g)) {
      metricNames.add(m[2]);
      if (m[1] === "Histogram") for (const s of ["_bucket", "_sum", "_count"]) metricNames.add(m[2] + s);
    }
  }
}
const shippedPolicies = Object.fromEntries(readdirSync(join(repo, "services/ContributionCalculation/Policies"))
  .filter((f) => f.endsWith(".jsonc"))
  .map((f) => [f.replace(/\.jsonc$/, ""), read(join("services/ContributionCalculation/Policies", f))]));
function appliesToOf(jsonc) {
  const m = /"appliesTo"\s*:\s*\[([^\]]*)\]/.exec(jsonc);
  return m ? [...m[1].matchAll(/"([^"]+)"/g)].map((x) => x[1]) : [];
}

// ------------------------------------------------------------------ promtool
function promtoolRun(args, cwd) {
  try {
    return execFileSync(promtool, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    // promtool prints the failing case (expected and got) on stdout.
    const out = `${e.stdout ?? ""}${e.stderr ?? ""}`.split("\n").filter((l) => l.trim()).join("\n");
    throw new Error(out || String(e.message));
  }
}
// promtool unit tests of the chart's rules (rules/*.test.yaml), with the cases each holds.
const ruleTestFiles = readdirSync(ruleTests).filter((f) => f.endsWith(".test.yaml")).sort().map((file) => {
  const doc = parseYaml(readFileSync(join(ruleTests, file), "utf8"));
  const tests = doc.tests ?? [];
  return {
    file,
    cases: tests.length,
    alertCases: tests.flatMap((t) => t.alert_rule_test ?? []),
    exprs: tests.flatMap((t) => (t.promql_expr_test ?? []).map((e) => e.expr)),
  };
});

// ------------------------------------------------------------------ helm
function helmRun(args) {
  return execFileSync(helm, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
}
function render(valuesFile, extra = []) {
  const out = helmRun(["template", release, chart, "--namespace", namespace, "-f", valuesFile, ...extra]);
  return parseAllDocuments(out).map((d) => {
    if (d.errors.length) throw new Error(`rendered YAML does not parse: ${d.errors[0].message}`);
    return d.toJS();
  }).filter(Boolean);
}
function values(valuesFile) {
  // The defaults merged with the file, as the templates see them (maps merge, lists and scalars replace).
  return mergeDeep(parseYaml(readFileSync(join(chart, "values.yaml"), "utf8")), parseYaml(readFileSync(valuesFile, "utf8")));
}
function mergeDeep(a, b) {
  if (b === undefined) return a;
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const out = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = mergeDeep(a[k], v);
    return out;
  }
  return b;
}

// ------------------------------------------------------------------ schema validation
async function modelFor(obj) {
  const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : ["", obj.apiVersion];
  if (group === "monitoring.coreos.com") {
    return (await import(`@kubernetes-models/prometheus-operator/${group}/${version}/${obj.kind}`))[obj.kind];
  }
  const path = group ? `kubernetes-models/${group}/${version}/${obj.kind}` : `kubernetes-models/${version}/${obj.kind}`;
  return (await import(path))[obj.kind];
}

// Dapr CRDs have no published models: the fields Dapr reads, checked here.
const durationPattern = /^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$/;
function validateDapr(obj) {
  const p = [];
  check(obj.apiVersion === "dapr.io/v1alpha1", `apiVersion ${obj.apiVersion} is not dapr.io/v1alpha1`, p);
  check(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(obj.metadata?.name ?? ""), "metadata.name is not a DNS label", p);
  const spec = obj.spec ?? {};
  switch (obj.kind) {
    case "Component":
      check(/^(pubsub|state|bindings|secretstores|configuration|lock|middleware\.http)\.[a-z0-9.]+$/.test(spec.type ?? ""), `spec.type ${spec.type}`, p);
      check(/^v[0-9]+$/.test(spec.version ?? ""), "spec.version must be v1, v2, ...", p);
      for (const m of spec.metadata ?? []) {
        check(typeof m.name === "string" && m.name.length > 0, "metadata entry without name", p);
        check(("value" in m) !== ("secretKeyRef" in m), `metadata ${m.name}: exactly one of value and secretKeyRef`, p);
        if ("value" in m) check(typeof m.value === "string", `metadata ${m.name}: value must be a string`, p);
        if (m.secretKeyRef) check(m.secretKeyRef.name && m.secretKeyRef.key, `metadata ${m.name}: secretKeyRef needs name and key`, p);
      }
      check(Array.isArray(obj.scopes) && obj.scopes.length > 0, "a component must be scoped to its apps", p);
      break;
    case "Resiliency": {
      const pol = spec.policies ?? {};
      for (const [name, t] of Object.entries(pol.timeouts ?? {})) check(durationPattern.test(t), `timeout ${name}=${t}`, p);
      for (const [name, r] of Object.entries(pol.retries ?? {})) {
        check(["constant", "exponential"].includes(r.policy), `retry ${name}: policy`, p);
        check(Number.isInteger(r.maxRetries), `retry ${name}: maxRetries`, p);
        if (r.maxInterval) check(durationPattern.test(r.maxInterval), `retry ${name}: maxInterval`, p);
      }
      for (const [name, cb] of Object.entries(pol.circuitBreakers ?? {})) {
        check(/^consecutiveFailures\s*>=?\s*[0-9]+$/.test(cb.trip ?? ""), `circuit breaker ${name}: trip`, p);
        check(durationPattern.test(cb.timeout ?? ""), `circuit breaker ${name}: timeout`, p);
      }
      check(Object.keys(pol.retries ?? {}).length > 0, "no retry policy", p);
      check(Object.keys(pol.timeouts ?? {}).length > 0, "no timeout policy", p);
      check(Object.keys(pol.circuitBreakers ?? {}).length > 0, "no circuit breaker", p);
      const known = (kind, n) => n === undefined || n in (pol[kind] ?? {});
      for (const [target, dirs] of Object.entries(spec.targets?.components ?? {})) {
        for (const [dir, t] of Object.entries(dirs)) {
          check(["inbound", "outbound"].includes(dir), `component ${target}: ${dir}`, p);
          check(known("timeouts", t.timeout) && known("retries", t.retry) && known("circuitBreakers", t.circuitBreaker),
            `component ${target} ${dir} names an undefined policy`, p);
        }
      }
      break;
    }
    case "Configuration":
      // mTLS belongs to the control plane's daprsystem Configuration; an app Configuration's mtls is ignored.
      check(spec.mtls === undefined, "spec.mtls in an app Configuration is ignored (it belongs to daprsystem)", p);
      check(spec.metric === undefined, "spec.metric is not a Dapr field (metrics)", p);
      check(spec.metrics === undefined || typeof spec.metrics.enabled === "boolean", "spec.metrics.enabled", p);
      check(/^(0|1|0?\.[0-9]+)$/.test(spec.tracing?.samplingRate ?? ""), "spec.tracing.samplingRate", p);
      if (spec.tracing?.otel) check(["grpc", "http"].includes(spec.tracing.otel.protocol), "otel.protocol", p);
      check(["allow", "deny", undefined].includes(spec.accessControl?.defaultAction), "accessControl.defaultAction", p);
      break;
    default:
      p.push(`unexpected Dapr kind ${obj.kind}`);
  }
  return p;
}

// ------------------------------------------------------------------ the checks for one values file
const secretish = /(password|passwd|secret|token|apikey|api_key|privatekey|encryptionkey|lookupkey|signingkey)$/i;
const allowedSecretishKeys = new Set(["existingSecret", "passwordKey", "tlsSecret", "passwordRequired", "appTokenSecret", "apiTokenSecret"]);
function plainSecretsIn(node, path = "") {
  const found = [];
  if (Array.isArray(node)) node.forEach((v, i) => found.push(...plainSecretsIn(v, `${path}[${i}]`)));
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      const here = path ? `${path}.${k}` : k;
      if (k === "keySha256") {
        if (!/^[0-9a-f]{64}$/i.test(String(v))) found.push(`${here} is not a SHA-256 (a key itself?)`);
      } else if (secretish.test(k) && !allowedSecretishKeys.has(k) && typeof v !== "object" && v !== "" && v !== false) {
        found.push(`${here} holds a value`);
      } else found.push(...plainSecretsIn(v, here));
    }
  }
  return found;
}

async function checkValuesFile(valuesFile, expectations) {
  const label = valuesFile.split("/").pop();
  console.log(`\n${label}`);
  const vals = values(valuesFile);

  test(`[${label}] helm lint --strict`, () => {
    helmRun(["lint", "--strict", chart, "-f", valuesFile, "--namespace", namespace]);
  });

  let objects = [];
  test(`[${label}] helm template renders`, () => {
    objects = render(valuesFile);
    return objects.length === 0 ? ["nothing rendered"] : [];
  });
  if (objects.length === 0) return;

  const byKind = (kind) => objects.filter((o) => o.kind === kind);
  const nameOf = (o) => `${o.kind}/${o.metadata?.name}`;

  // --- schemas
  for (const obj of objects) {
    if (obj.apiVersion?.startsWith("dapr.io/")) {
      test(`[${label}] dapr schema ${nameOf(obj)}`, () => validateDapr(obj));
      continue;
    }
    const Model = await modelFor(obj).catch(() => null);
    test(`[${label}] schema ${obj.apiVersion} ${nameOf(obj)}`, () => {
      if (!Model) return [`no model for ${obj.apiVersion} ${obj.kind}`];
      new Model(obj).validate();
      return [];
    });
  }

  const deployments = byKind("Deployment");
  const services = byKind("Service");
  const componentOf = (o) => o.metadata.labels?.["app.kubernetes.io/component"];
  const serviceAppIds = Object.keys(serviceFolders);
  const enabledServices = Object.values(vals.services).filter((s) => s.enabled !== false);

  test(`[${label}] one Deployment and Service per service and the gateway`, () => {
    const p = [];
    const expected = new Set([...enabledServices.map((s) => s.appId), vals.gateway.appId]);
    check(eqSets(new Set(deployments.map(componentOf)), expected), `Deployments ${fmt(new Set(deployments.map(componentOf)))} != ${fmt(expected)}`, p);
    check(eqSets(new Set(services.map(componentOf)), expected), `Services ${fmt(new Set(services.map(componentOf)))} != ${fmt(expected)}`, p);
    for (const d of deployments) {
      const svc = services.find((s) => componentOf(s) === componentOf(d));
      const ports = Object.fromEntries((d.spec.template.spec.containers[0].ports ?? []).map((x) => [x.name, x.containerPort]));
      check(ports.grpc && ports.http, `${nameOf(d)} lacks a grpc or http container port`, p);
      for (const name of ["grpc", "http"]) {
        const sp = svc?.spec.ports.find((x) => x.name === name);
        check(sp && (sp.targetPort === name || sp.targetPort === ports[name]), `${nameOf(svc ?? d)} port ${name} does not reach the container`, p);
      }
      const sel = d.spec.selector.matchLabels;
      check(svc && Object.entries(svc.spec.selector).every(([k, v]) => sel[k] === v), `${nameOf(svc ?? d)} selector does not match the pods`, p);
    }
    return p;
  });

  for (const d of deployments) {
    const appId = componentOf(d);
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    test(`[${label}] ${appId}: probes, resources, security context, /tmp`, () => {
      const p = [];
      check(c.livenessProbe && c.readinessProbe, "liveness and readiness probes", p);
      const portNumbers = new Set((c.ports ?? []).flatMap((x) => [x.name, x.containerPort]));
      for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe].filter(Boolean)) {
        const port = probe.grpc?.port ?? probe.httpGet?.port;
        check(portNumbers.has(port), `probe port ${port} is not a container port`, p);
        if (probe.httpGet) check(["/healthz", "/readyz"].includes(probe.httpGet.path), `probe path ${probe.httpGet.path}`, p);
        if (probe.grpc) check(probe.grpc.port === (c.ports.find((x) => x.name === "grpc") ?? {}).containerPort, "grpc probe not on the gRPC port", p);
      }
      check(c.readinessProbe?.grpc || c.readinessProbe?.httpGet?.path === "/readyz", "readiness must be the gRPC health service or /readyz", p);
      check(c.resources?.limits?.cpu && c.resources?.limits?.memory, "cpu and memory limits", p);
      check(c.resources?.requests?.cpu && c.resources?.requests?.memory, "cpu and memory requests", p);
      const sc = c.securityContext ?? {};
      check(pod.securityContext?.runAsNonRoot === true || sc.runAsNonRoot === true, "runAsNonRoot", p);
      check(sc.readOnlyRootFilesystem === true, "readOnlyRootFilesystem", p);
      check(sc.allowPrivilegeEscalation === false, "allowPrivilegeEscalation: false", p);
      check(sc.capabilities?.drop?.includes("ALL"), "capabilities drop ALL", p);
      check(!(sc.capabilities?.add ?? []).length, "no added capabilities", p);
      check(sc.privileged !== true, "not privileged", p);
      const tmp = (c.volumeMounts ?? []).find((m) => m.mountPath === "/tmp");
      const vol = tmp && (pod.volumes ?? []).find((v) => v.name === tmp.name);
      check(vol?.emptyDir, "a writable emptyDir at /tmp", p);
      for (const name of ["HOME", "TMPDIR"]) {
        check((c.env ?? []).some((e) => e.name === name && e.value === "/tmp"), `${name}=/tmp (the only writable place)`, p);
      }
      check(pod.automountServiceAccountToken === false, "no service account token (the apps never call the API server)", p);
      check(!/:latest$/.test(c.image) && /:[^/]+$|@sha256:/.test(c.image), `image ${c.image} has no fixed tag`, p);
      return p;
    });

    test(`[${label}] ${appId}: Dapr annotations`, () => {
      const p = [];
      const a = d.spec.template.metadata.annotations ?? {};
      if (appId === vals.gateway.appId) {
        check(a["dapr.io/enabled"] === "false", "the gateway uses no Dapr API: no sidecar", p);
        return p;
      }
      const http = c.ports.find((x) => x.name === "http")?.containerPort;
      check(a["dapr.io/enabled"] === "true", "dapr.io/enabled", p);
      check(a["dapr.io/app-id"] === appId, `dapr.io/app-id ${a["dapr.io/app-id"]} != ${appId}`, p);
      check(a["dapr.io/app-port"] === String(http), `dapr.io/app-port ${a["dapr.io/app-port"]} != HTTP port ${http}`, p);
      check(a["dapr.io/app-protocol"] === "http", "dapr.io/app-protocol http", p);
      const config = byKind("Configuration").map((x) => x.metadata.name);
      check(config.includes(a["dapr.io/config"]), `dapr.io/config ${a["dapr.io/config"]} is not a rendered Configuration`, p);
      return p;
    });

    test(`[${label}] ${appId}: no secret in plain env`, () => {
      const p = [];
      for (const e of c.env ?? []) {
        if (/password|secret|token|key/i.test(e.name) && !/^Gateway__(RateLimit|TokenIssuer$)/.test(e.name) && !publicSetting.test(e.name)) {
          check(e.valueFrom?.secretKeyRef, `${e.name} is set from a literal`, p);
        }
        if (typeof e.value === "string" && /password=/i.test(e.value)) {
          check(/password=\$\([A-Z_]+\)(;|$)/i.test(e.value), `${e.name} embeds a literal password`, p);
        }
      }
      const secretNames = new Set(byKind("Secret").map((s) => s.metadata.name));
      const external = externalSecrets(vals);
      const refs = [
        ...(c.env ?? []).map((e) => e.valueFrom?.secretKeyRef?.name).filter(Boolean),
        ...(c.envFrom ?? []).map((e) => e.secretRef?.name).filter(Boolean),
      ];
      for (const r of refs) check(secretNames.has(r) || external.has(r), `Secret ${r} is neither rendered nor an existingSecret`, p);
      return p;
    });
  }

  test(`[${label}] service-to-service calls: configured addresses match the code`, () => {
    const p = [];
    for (const d of deployments) {
      const appId = componentOf(d);
      if (appId === vals.gateway.appId) continue;
      const env = d.spec.template.spec.containers[0].env ?? [];
      const configured = new Set(env.map((e) => /^Services__(.+)__Grpc$/.exec(e.name)?.[1]).filter(Boolean));
      check(eqSets(configured, code[appId].calls), `${appId} gets addresses of ${fmt(configured)}, the code calls ${fmt(code[appId].calls)}`, p);
      for (const e of env.filter((x) => /^Services__/.test(x.name))) {
        const target = /^http:\/\/([^:]+):(\d+)$/.exec(e.value);
        const svc = target && services.find((s) => s.metadata.name === target[1]);
        check(svc && svc.spec.ports.some((x) => x.port === Number(target[2]) && x.name === "grpc"), `${appId} ${e.name}=${e.value} is not a gRPC Service port`, p);
      }
    }
    return p;
  });

  // --- events
  const pubsub = byKind("Component").find((c) => c.spec.type.startsWith("pubsub."));
  test(`[${label}] each Dapr app id subscribes to exactly the topics its code handles`, () => {
    const p = [];
    if (!pubsub) return ["no pub/sub component"];
    const meta = Object.fromEntries(pubsub.spec.metadata.map((m) => [m.name, m.value]));
    const scopesOf = (value) => Object.fromEntries((value ?? "").split(";").filter(Boolean).map((entry) => {
      const [app, topics = ""] = entry.split("=");
      return [app, new Set(topics.split(",").filter(Boolean))];
    }));
    // Each app's own dead-letter topic is the dead-letter test's.
    const withoutDeadLetters = (scopes) => Object.fromEntries(Object.entries(scopes)
      .map(([app, topics]) => [app, new Set([...topics].filter((t) => t !== deadLetterOf(app)))]));
    const subs = withoutDeadLetters(scopesOf(meta.subscriptionScopes));
    const pubs = withoutDeadLetters(scopesOf(meta.publishingScopes));
    const daprApps = deployments.map((d) => d.spec.template.metadata.annotations["dapr.io/app-id"]);
    for (const app of daprApps) {
      const inScope = pubsub.scopes.includes(app);
      const known = code[app];
      if (!known) { // the gateway: no events at all
        check(!inScope, `${app} can load the pub/sub component`, p);
        continue;
      }
      const usesEvents = known.subscribes.size + known.publishes.size > 0;
      check(inScope === usesEvents, `${app} ${inScope ? "is" : "is not"} in the component scopes`, p);
      if (!inScope) continue;
      check(subs[app] !== undefined, `${app} is missing from subscriptionScopes (it would get every topic)`, p);
      check(pubs[app] !== undefined, `${app} is missing from publishingScopes (it could publish every topic)`, p);
      if (subs[app]) check(eqSets(subs[app], known.subscribes), `${app} subscriptionScopes ${fmt(subs[app])} != code ${fmt(known.subscribes)}`, p);
      if (pubs[app]) {
        for (const t of known.publishes) check(pubs[app].has(t), `${app} publishes ${t} in code but may not`, p);
        for (const t of pubs[app]) check(Object.values(topicsByConstant).includes(t), `${app} may publish unknown topic ${t}`, p);
      }
    }
    const allowed = new Set((meta.allowedTopics ?? "").split(",").filter(Boolean)
      .filter((t) => !Object.keys(code).some((app) => t === deadLetterOf(app))));
    check(eqSets(allowed, new Set(Object.values(topicsByConstant))), `allowedTopics ${fmt(allowed)} != EventTopics.cs`, p);
    for (const t of Object.values(topicsByConstant)) {
      const owners = Object.entries(pubs).filter(([, ts]) => ts.has(t)).map(([a]) => a);
      check(owners.length <= 1, `${t} may be published by ${owners.join(", ")}`, p);
    }
    const pubsubName = (d) => (d.spec.template.spec.containers[0].env ?? []).find((e) => e.name === "Events__PubSubName")?.value;
    for (const d of deployments.filter((x) => code[componentOf(x)])) {
      check(pubsubName(d) === pubsub.metadata.name, `${componentOf(d)} publishes to ${pubsubName(d)}, the component is ${pubsub.metadata.name}`, p);
      check((d.spec.template.spec.containers[0].env ?? []).some((e) => e.name === "Events__Transport" && e.value === "dapr"), `${componentOf(d)} does not use the dapr transport`, p);
    }
    return p;
  });

  test(`[${label}] each subscription accepts deliveries only from the app id the component lets publish that topic`, () => {
    const p = [];
    const meta = Object.fromEntries((pubsub?.spec.metadata ?? []).map((m) => [m.name, m.value]));
    const pubs = Object.fromEntries((meta.publishingScopes ?? "").split(";").filter(Boolean).map((entry) => {
      const [app, topics = ""] = entry.split("=");
      return [app, new Set(topics.split(",").filter(Boolean))];
    }));
    for (const [app, known] of Object.entries(code)) {
      for (const topic of known.subscribes) {
        const publisher = known.publisherOf[topic];
        check(publisher, `${app} subscribes to ${topic} without naming its publisher`, p);
        if (publisher) check(pubs[publisher]?.has(topic), `${app} accepts ${topic} from ${publisher}, which may not publish it`, p);
      }
    }
    return p;
  });

  test(`[${label}] every subscription has a dead-letter topic its app may use, and retries end before redelivery`, () => {
    const p = [];
    if (!pubsub) return ["no pub/sub component"];
    check(deadLetterSuffix, "DeadLetterTopics.Suffix not found in the code", p);
    check(subscriptionsNameDeadLetter, "MapEventSubscription does not give every subscription DeadLetterTopics.For(appId)", p);
    const meta = Object.fromEntries(pubsub.spec.metadata.map((m) => [m.name, m.value]));
    const scopes = (value) => (value ?? "").split(";").filter(Boolean).map((e) => e.split("="))
      .map(([app, topics = ""]) => [app, new Set(topics.split(",").filter(Boolean))]);
    const subs = Object.fromEntries(scopes(meta.subscriptionScopes));
    const pubs = Object.fromEntries(scopes(meta.publishingScopes));
    const allowed = new Set((meta.allowedTopics ?? "").split(",").filter(Boolean));
    for (const [app, known] of Object.entries(code)) {
      const dead = deadLetterOf(app);
      const others = (scope) => Object.entries(scope).filter(([a, ts]) => a !== app && ts.has(dead)).map(([a]) => a);
      if (known.subscribes.size === 0) {
        check(!allowed.has(dead), `${app} subscribes to nothing, yet ${dead} is allowed`, p);
        continue;
      }
      // The app's sidecar publishes to its dead-letter topic, and the app's route subscribes to it.
      for (const topic of known.subscribes) check(subs[app]?.has(topic), `${app} subscribes to ${topic} in code but not in scopes`, p);
      check(subs[app]?.has(dead), `${app} may not subscribe to its dead-letter topic ${dead}`, p);
      check(pubs[app]?.has(dead), `${app}'s sidecar may not publish to its dead-letter topic ${dead}`, p);
      check(allowed.has(dead), `${dead} is not in allowedTopics`, p);
      check(others(subs).length === 0 && others(pubs).length === 0, `${dead} is reachable by ${[...others(subs), ...others(pubs)].join(", ")}`, p);
    }

    // Retry arithmetic: constant policies, so each span is exact.
    const seconds = (d) => [...String(d).matchAll(/([0-9.]+)(ns|us|ms|s|m|h)/g)]
      .reduce((sum, [, n, u]) => sum + Number(n) * { ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 }[u], 0);
    const r = byKind("Resiliency")[0];
    const target = r?.spec.targets.components?.[pubsub.metadata.name] ?? {};
    const span = (dir) => {
      const t = target[dir];
      const retry = r?.spec.policies.retries?.[t?.retry];
      const timeout = seconds(r?.spec.policies.timeouts?.[t?.timeout]);
      check(retry?.policy === "constant", `${dir} retry is not constant, so its span has no fixed bound`, p);
      check(timeout > 0, `${dir} has no timeout, so one attempt has no bound`, p);
      check(Number.isInteger(retry?.maxRetries) && retry.maxRetries >= 0, `${dir} retries are unbounded`, p);
      return (retry.maxRetries + 1) * timeout + retry.maxRetries * seconds(retry.duration);
    };
    check(!target.inbound?.circuitBreaker, "an inbound circuit breaker (per component in Dapr) would pause every topic of the app", p);
    if (pubsub.spec.type === "pubsub.redis") {
      const total = span("inbound") + span("outbound"); // every retry, then the dead-letter publish
      const processing = seconds(meta.processingTimeout);
      check(total < processing, `inbound retry span + dead-letter publish = ${total}s, not below processingTimeout ${processing}s`, p);
      check(seconds(meta.redeliverInterval) > 0 && seconds(meta.redeliverInterval) <= processing, `redeliverInterval ${meta.redeliverInterval}`, p);
    }
    return p;
  });

  test(`[${label}] Resiliency covers the pub/sub component both ways`, () => {
    const r = byKind("Resiliency")[0];
    const t = r?.spec.targets.components?.[pubsub?.metadata.name];
    return t?.inbound && t?.outbound ? [] : ["no inbound and outbound policy for the pub/sub component"];
  });

  // --- secrets
  test(`[${label}] no Secret value in plain values`, () => {
    const defaults = parseYaml(readFileSync(join(chart, "values.yaml"), "utf8"));
    return [...plainSecretsIn(defaults).map((x) => `values.yaml: ${x}`),
            ...plainSecretsIn(parseYaml(readFileSync(valuesFile, "utf8"))).map((x) => `${label}: ${x}`)];
  });

  // --- network policies
  const policies = byKind("NetworkPolicy");
  const selects = (np, labels) => Object.entries(np.spec.podSelector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  test(`[${label}] every component has a NetworkPolicy; only the gateway is reachable from outside`, () => {
    const p = [];
    const releasePods = (peer) => peer.podSelector && !peer.namespaceSelector
      && peer.podSelector.matchLabels?.["app.kubernetes.io/instance"] === release;
    const systemNamespaces = new Set([vals.dapr.systemNamespace, vals.networkPolicy.monitoringNamespace]);
    for (const d of deployments) {
      const appId = componentOf(d);
      const mine = policies.filter((np) => selects(np, d.spec.template.metadata.labels));
      check(mine.length > 0, `${appId} has no NetworkPolicy`, p);
      for (const np of mine) {
        check(np.spec.policyTypes?.includes("Ingress") && np.spec.policyTypes?.includes("Egress"), `${nameOf(np)} must restrict ingress and egress`, p);
        if (appId === vals.gateway.appId) continue;
        const callers = new Set();
        for (const rule of np.spec.ingress ?? []) {
          check((rule.from ?? []).length > 0, `${nameOf(np)} admits ${appId} traffic from anywhere`, p);
          for (const peer of rule.from ?? []) {
            if (releasePods(peer)) callers.add(peer.podSelector.matchLabels["app.kubernetes.io/component"]);
            else check(peer.namespaceSelector && systemNamespaces.has(peer.namespaceSelector.matchLabels?.["kubernetes.io/metadata.name"]) && !peer.podSelector,
              `${nameOf(np)} admits an unexpected peer ${JSON.stringify(peer)}`, p);
          }
        }
        const expected = new Set([vals.gateway.appId, ...Object.entries(code).filter(([, k]) => k.calls.has(appId)).map(([a]) => a)]);
        check(eqSets(callers, expected), `${appId} admits ${fmt(callers)}, the callers are ${fmt(expected)}`, p);
        const egressPods = new Set((np.spec.egress ?? []).flatMap((r) => r.to ?? []).filter(releasePods)
          .map((peer) => peer.podSelector.matchLabels["app.kubernetes.io/component"]));
        check(eqSets(egressPods, code[appId]?.calls ?? new Set()), `${appId} may reach ${fmt(egressPods)}, it calls ${fmt(code[appId]?.calls ?? new Set())}`, p);
        const egressPorts = new Set((np.spec.egress ?? []).flatMap((r) => (r.ports ?? []).map((x) => x.port)));
        check(egressPorts.has(vals.database.port), `${appId} cannot reach PostgreSQL`, p);
        check(egressPorts.has(53), `${appId} cannot resolve names`, p);
      }
    }
    const job = byKind("Job")[0];
    check(job && policies.some((np) => selects(np, job.spec.template.metadata.labels)), "the migration job has no NetworkPolicy", p);
    return p;
  });

  // --- trust boundary: ports, keys and tokens each pod gets
  const envOf = (d) => d.spec.template.spec.containers[0].env ?? [];
  const secretRef = (e) => e.valueFrom?.secretKeyRef;
  const monitoring = vals.networkPolicy.monitoringNamespace;
  const fromMonitoring = (rule) => (rule.from ?? []).some((peer) => peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === monitoring);

  test(`[${label}] NetworkPolicy: the monitoring namespace reaches only the metrics port, nothing else reaches it`, () => {
    const p = [];
    for (const d of deployments) {
      const appId = componentOf(d);
      const mine = policies.filter((np) => selects(np, d.spec.template.metadata.labels));
      const rules = mine.flatMap((np) => np.spec.ingress ?? []);
      const monitoringRules = rules.filter(fromMonitoring);
      check(monitoringRules.length > 0, `${appId}: monitoring cannot scrape`, p);
      for (const r of monitoringRules) {
        const ports = (r.ports ?? []).map((x) => x.port);
        check(ports.length > 0, `${appId}: monitoring reaches every port`, p);
        check(ports.every((x) => x === "metrics"), `${appId}: monitoring reaches ${ports.join(", ")}, not only metrics`, p);
      }
      const metricsPort = d.spec.template.spec.containers[0].ports.find((x) => x.name === "metrics")?.containerPort;
      for (const r of rules.filter((x) => !fromMonitoring(x))) {
        const ports = (r.ports ?? []).map((x) => x.port);
        check(ports.length > 0, `${appId}: a rule admits every port`, p);
        check(!ports.includes("metrics") && !ports.includes(metricsPort), `${appId}: the metrics port is open to ${JSON.stringify(r.from ?? "anyone")}`, p);
      }
    }
    return p;
  });

  test(`[${label}] only the gateway and calling services reach a service's API ports`, () => {
    const p = [];
    const calls = { "payment-collection": ["identity-registry", "contribution-calculation"], "contribution-calculation": ["identity-registry"], "notification": ["identity-registry", "quota-tracking"] };
    for (const d of deployments.filter((x) => componentOf(x) !== vals.gateway.appId)) {
      const appId = componentOf(d);
      const expected = new Set([vals.gateway.appId, ...Object.entries(calls).filter(([, cs]) => cs.includes(appId)).map(([a]) => a)]);
      const admitted = new Set();
      for (const np of policies.filter((x) => selects(x, d.spec.template.metadata.labels))) {
        for (const r of np.spec.ingress ?? []) {
          const api = (r.ports ?? []).some((x) => ["grpc", "http"].includes(x.port));
          if (!api) continue;
          for (const peer of r.from ?? []) {
            const c = peer.podSelector?.matchLabels?.["app.kubernetes.io/component"];
            check(c && !peer.namespaceSelector, `${appId}: API ports open to ${JSON.stringify(peer)}`, p);
            if (c) admitted.add(c);
          }
        }
      }
      check(eqSets(admitted, expected), `${appId}: API ports admit ${fmt(admitted)}, expected ${fmt(expected)}`, p);
    }
    return p;
  });

  test(`[${label}] metrics port: served alone, probed and scraped there; pods listen on the pod network`, () => {
    const p = [];
    for (const d of deployments) {
      const appId = componentOf(d);
      const c = d.spec.template.spec.containers[0];
      const metrics = c.ports.find((x) => x.name === "metrics")?.containerPort;
      const env = Object.fromEntries(envOf(d).filter((e) => "value" in e).map((e) => [e.name, e.value]));
      check(metrics && env.Platform__MetricsPort === String(metrics), `${appId}: Platform__MetricsPort ${env.Platform__MetricsPort} != metrics port ${metrics}`, p);
      check(new Set(c.ports.map((x) => x.containerPort)).size === c.ports.length, `${appId}: ports collide`, p);
      check(env.Platform__ListenAddress === "0.0.0.0", `${appId}: Platform__ListenAddress must be 0.0.0.0 in a pod`, p);
      for (const probe of [c.startupProbe, c.livenessProbe]) check(probe?.httpGet?.port === "metrics", `${appId}: health probe not on the metrics port`, p);
      check(c.readinessProbe?.grpc || c.readinessProbe?.httpGet?.port === "metrics", `${appId}: readiness not on the metrics port`, p);
      const svc = services.find((x) => componentOf(x) === appId);
      check(svc?.spec.ports.some((x) => x.name === "metrics" && x.targetPort === "metrics"), `${appId}: Service has no metrics port`, p);
    }
    const sm = byKind("ServiceMonitor")[0];
    check(sm && sm.spec.endpoints.every((e) => e.port === "metrics"), "ServiceMonitor scrapes a port other than metrics", p);
    return p;
  });

  const issuers = [vals.gateway.appId, ...Object.values(vals.services).map((x) => x.appId)];
  const assertionSecretOf = (appId) => vals.secrets.assertion?.existingSecrets?.[appId] ?? `${release}-medins-city-${appId}-assertion`;
  test(`[${label}] per-deployment secrets: its own signing key, DB password and channel keys only`, () => {
    const p = [];
    for (const d of deployments) {
      const appId = componentOf(d);
      const refs = envOf(d).filter(secretRef).map((e) => ({ env: e.name, secret: secretRef(e).name, key: secretRef(e).key }));
      const signing = refs.filter((r) => r.key === "signing-key");
      check(signing.length === 1 && signing[0].env === "Auth__SigningKey" && signing[0].secret === assertionSecretOf(appId),
        `${appId}: signing keys read ${JSON.stringify(signing)}, expected only its own (${assertionSecretOf(appId)})`, p);
      const trusted = new Set();
      for (const e of envOf(d).filter((x) => /^Auth__TrustedKeys__\d+__Issuer$/.test(x.name))) {
        const at = (field) => envOf(d).find((x) => x.name === e.name.replace(/Issuer$/, field));
        const issuer = e.value;
        trusted.add(issuer);
        check(secretRef(at("PublicKey") ?? {})?.name === assertionSecretOf(issuer) && secretRef(at("PublicKey"))?.key === "certificate"
          && secretRef(at("Id") ?? {})?.name === assertionSecretOf(issuer), `${appId}: ${e.name}=${issuer} is not read from ${issuer}'s certificate`, p);
      }
      check(eqSets(trusted, new Set(issuers)), `${appId}: trusts ${fmt(trusted)}, expected every issuer`, p);
      const dbKeys = refs.filter((r) => r.env === "DB_PASSWORD").map((r) => r.key);
      if (appId === vals.gateway.appId) check(dbKeys.length === 0, "the gateway gets a database password", p);
      else check(dbKeys.length === 1 && dbKeys[0] === `${appId}-password`, `${appId}: database password keys ${dbKeys.join(", ")}`, p);
      check(!refs.some((r) => r.key === "owner-password"), `${appId}: reads the owner password`, p);
      const envFrom = (d.spec.template.spec.containers[0].envFrom ?? []).map((e) => e.secretRef?.name);
      const pay = vals.secrets.paymentChannels?.existingSecret, msg = vals.secrets.messageChannels?.existingSecret;
      if (pay) check(envFrom.includes(pay) === (appId === vals.services.paymentCollection.appId), `${appId}: payment channel keys ${envFrom.includes(pay) ? "mounted" : "missing"}`, p);
      if (msg) check(envFrom.includes(msg) === (appId === vals.services.notification.appId), `${appId}: message provider keys ${envFrom.includes(msg) ? "mounted" : "missing"}`, p);
      check(envFrom.includes(`${release}-medins-city-gateway`) === (appId === vals.gateway.appId) || !!vals.secrets.gateway.existingSecret, `${appId}: gateway credentials`, p);
    }
    const job = byKind("Job")[0];
    const jobKeys = new Set((job.spec.template.spec.containers[0].env ?? []).filter((e) => /^Migrator__AppRolePasswords__/.test(e.name)).map((e) => secretRef(e)?.key));
    const expectedKeys = new Set(Object.values(vals.services).map((x) => `${x.appId}-password`));
    check(eqSets(jobKeys, expectedKeys), `the migration job gets ${fmt(jobKeys)}, expected ${fmt(expectedKeys)}`, p);
    return p;
  });

  test(`[${label}] Auth:ServiceRoles: exactly the services that call each one, never more than read`, () => {
    const p = [];
    for (const d of deployments.filter((x) => code[componentOf(x)])) {
      const appId = componentOf(d);
      const granted = {};
      for (const e of envOf(d)) {
        const m = /^Auth__ServiceRoles__(.+)__\d+$/.exec(e.name);
        if (m) (granted[m[1]] ??= []).push(e.value);
      }
      const callers = new Set(Object.entries(code).filter(([, k]) => k.calls.has(appId)).map(([a]) => a));
      check(eqSets(new Set(Object.keys(granted)), callers), `${appId} grants roles to ${fmt(new Set(Object.keys(granted)))}, its callers are ${fmt(callers)}`, p);
      for (const [caller, roles] of Object.entries(granted)) check(roles.every((r) => r === "read"), `${appId} lets ${caller} ${roles.join(", ")}`, p);
    }
    return p;
  });

  test(`[${label}] Dapr: app and API tokens from Secrets, the services check the app token`, () => {
    const p = [];
    const rendered = new Set(byKind("Secret").map((x) => x.metadata.name));
    const external = externalSecrets(vals);
    for (const d of deployments) {
      const appId = componentOf(d);
      const a = d.spec.template.metadata.annotations ?? {};
      const appToken = a["dapr.io/app-token-secret"], apiToken = a["dapr.io/api-token-secret"];
      if (appId === vals.gateway.appId) continue; // no sidecar
      check(appToken && apiToken && appToken !== apiToken, `${appId}: dapr.io/app-token-secret and dapr.io/api-token-secret (distinct)`, p);
      for (const s of [appToken, apiToken]) check(rendered.has(s) || external.has(s), `${appId}: token Secret ${s} does not exist`, p);
      for (const s of byKind("Secret").filter((x) => [appToken, apiToken].includes(x.metadata.name))) check(s.data?.token, `Secret ${s.metadata.name} has no key token`, p);
      const ref = (n) => secretRef(envOf(d).find((e) => e.name === n) ?? {});
      for (const n of ["Auth__AppApiToken", "APP_API_TOKEN"]) check(ref(n)?.name === appToken && ref(n)?.key === "token", `${appId}: ${n} is not the sidecar's app token`, p);
      check(ref("DAPR_API_TOKEN")?.name === apiToken && ref("DAPR_API_TOKEN")?.key === "token", `${appId}: DAPR_API_TOKEN is not the sidecar's API token`, p);
    }
    return p;
  });

  test(`[${label}] generated assertion keys: ECDSA P-256, certificate of the same key, key id per issuer`, () => {
    const p = [];
    const generated = issuers.filter((i) => !vals.secrets.assertion?.existingSecrets?.[i]);
    for (const issuer of generated) {
      const s = byKind("Secret").find((x) => x.metadata.name === assertionSecretOf(issuer));
      if (!s) { p.push(`${issuer}: no assertion Secret`); continue; }
      const dec = (k) => Buffer.from(s.data[k] ?? "", "base64").toString("utf8");
      const key = createPrivateKey(dec("signing-key"));
      check(key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1", `${issuer}: not a P-256 key`, p);
      const cert = new X509Certificate(dec("certificate"));
      const same = cert.publicKey.export({ type: "spki", format: "der" }).equals(createPublicKey(key).export({ type: "spki", format: "der" }));
      check(same, `${issuer}: the certificate does not hold the signing key's public key`, p);
      check(new RegExp(`^${issuer}-\\d{8}$`).test(dec("key-id")), `${issuer}: key id ${dec("key-id")}`, p);
    }
    return p;
  });

  test(`[${label}] gateway credentials carry roles`, () => {
    const p = [];
    if (vals.secrets.gateway.existingSecret) return p;
    const s = byKind("Secret").find((x) => x.metadata.name === `${release}-medins-city-gateway`);
    for (const [i, cred] of (vals.gateway.credentials ?? []).entries()) {
      const roles = Object.entries(s.data).filter(([k]) => k.startsWith(`Gateway__Credentials__${i}__Roles__`)).map(([, v]) => Buffer.from(v, "base64").toString());
      check(roles.length > 0 && roles.join(",") === cred.roles.join(","), `credential ${cred.name}: roles ${roles.join(",")}`, p);
      if (cred.scope === "city") check(!roles.some((r) => r === "collect" || r === "manage"), `city credential ${cred.name} may write`, p);
    }
    return p;
  });

  // --- sidecars, database TLS and the connection budget
  test(`[${label}] sidecars start without a token: every Dapr pod with automountServiceAccountToken false disables daprd's built-in Kubernetes secret store; the gateway has none`, () => {
    const p = [];
    const pods = [...deployments.map((d) => [nameOf(d), d.spec.template]), ...byKind("Job").map((j) => [nameOf(j), j.spec.template])];
    for (const [name, t] of pods) {
      const a = t.metadata.annotations ?? {};
      if (a["dapr.io/enabled"] !== "true") continue;
      if (t.spec.automountServiceAccountToken === false) {
        check(a["dapr.io/disable-builtin-k8s-secret-store"] === "true", `${name}: daprd would crash-loop (no token for its built-in Kubernetes secret store)`, p);
      }
    }
    const gw = deployments.find((d) => componentOf(d) === vals.gateway.appId);
    check(gw?.spec.template.metadata.annotations?.["dapr.io/enabled"] === "false", "the gateway gets a sidecar it never uses", p);
    check(deployments.filter((d) => d !== gw).every((d) => d.spec.template.metadata.annotations?.["dapr.io/enabled"] === "true"), "a service lacks its sidecar", p);
    const daprNs = vals.dapr.systemNamespace;
    const toDapr = (peer) => peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === daprNs;
    for (const np of policies.filter((x) => gw && selects(x, gw.spec.template.metadata.labels))) {
      check(![...(np.spec.ingress ?? []).flatMap((r) => r.from ?? []), ...(np.spec.egress ?? []).flatMap((r) => r.to ?? [])].some(toDapr),
        `${nameOf(np)} still opens the gateway to the Dapr control plane`, p);
    }
    return p;
  });

  const connectionString = (c) => (c.env ?? []).find((e) => /^ConnectionStrings__/.test(e.name))?.value ?? "";
  const csField = (cs, key) => new RegExp(`(?:^|;)${key}=([^;]*)`, "i").exec(cs)?.[1];
  test(`[${label}] PostgreSQL TLS: a CA (when given or verifying) mounted read-only and passed as Root Certificate in every pod that connects`, () => {
    const p = [];
    const verifying = ["VerifyCA", "VerifyFull"].includes(vals.database.sslMode);
    const ca = vals.database.ca ?? {};
    const pods = [...deployments.filter((d) => componentOf(d) !== vals.gateway.appId).map((d) => [nameOf(d), d.spec.template.spec]),
      ...byKind("Job").map((j) => [nameOf(j), j.spec.template.spec])];
    for (const [name, spec] of pods) {
      const c = spec.containers[0];
      const cs = connectionString(c);
      check(cs, `${name}: no connection string`, p);
      const root = csField(cs, "Root Certificate");
      check(csField(cs, "SSL Mode") === vals.database.sslMode, `${name}: SSL Mode ${csField(cs, "SSL Mode")}`, p);
      if (verifying) check(root, `${name}: SSL Mode ${vals.database.sslMode} without a Root Certificate`, p);
      check(!!root === !!(ca.secretName || ca.configMapName), `${name}: Root Certificate ${root ?? "absent"} but database.ca ${JSON.stringify(ca)}`, p);
      if (!root) continue;
      const mount = (c.volumeMounts ?? []).find((m) => root.startsWith(m.mountPath + "/"));
      check(mount?.readOnly === true, `${name}: ${root} is not on a read-only mount`, p);
      const vol = mount && (spec.volumes ?? []).find((v) => v.name === mount.name);
      const file = mount && root.slice(mount.mountPath.length + 1);
      const source = vol?.secret ? { name: vol.secret.secretName, items: vol.secret.items } : vol?.configMap ? { name: vol.configMap.name, items: vol.configMap.items } : null;
      check(source && source.name === (ca.secretName || ca.configMapName) && !!vol.secret === !!ca.secretName, `${name}: the CA volume is not database.ca`, p);
      check(source?.items?.some((i) => i.key === ca.key && i.path === file), `${name}: ${file} is not key ${ca.key}`, p);
    }
    return p;
  });

  test(`[${label}] connection budget: sum over services of (HPA maxReplicas + 25% surge) x pool, plus the migrator's pool, fits database.maxConnections`, () => {
    const p = [];
    let total = 0;
    const parts = [];
    for (const d of deployments.filter((x) => componentOf(x) !== vals.gateway.appId)) {
      const hpa = byKind("HorizontalPodAutoscaler").find((h) => h.spec.scaleTargetRef.name === d.metadata.name);
      const max = hpa ? hpa.spec.maxReplicas : d.spec.replicas;
      check(d.spec.strategy?.rollingUpdate?.maxSurge === "25%", `${nameOf(d)}: the budget assumes maxSurge 25%`, p);
      const pods = max + Math.ceil(max * 0.25);
      const pool = Number(csField(connectionString(d.spec.template.spec.containers[0]), "Maximum Pool Size"));
      check(Number.isInteger(pool) && pool >= 1, `${nameOf(d)}: Maximum Pool Size ${pool}`, p);
      total += pods * pool;
      parts.push(`${componentOf(d)} ${pods}x${pool}`);
    }
    const job = byKind("Job")[0];
    const migrator = Number(csField(connectionString(job.spec.template.spec.containers[0]), "Maximum Pool Size"));
    check(Number.isInteger(migrator) && migrator >= 2, `migrator Maximum Pool Size ${migrator} (it holds two connections at once)`, p);
    total += migrator;
    check(total <= vals.database.maxConnections, `${parts.join(" + ")} + migrator ${migrator} = ${total} > database.maxConnections ${vals.database.maxConnections}`, p);
    return p;
  });

  test(`[${label}] checksum/secrets: one per component, from that component's Secrets only`, () => {
    const p = [];
    for (const d of deployments) check(/^[0-9a-f]{64}$/.test(d.spec.template.metadata.annotations?.["checksum/secrets"] ?? ""), `${nameOf(d)}: checksum/secrets`, p);
    const sums = new Set(deployments.map((d) => d.spec.template.metadata.annotations?.["checksum/secrets"]));
    check(sums.size === deployments.length, "components share one checksum (each reads different Secrets)", p);
    return p;
  });

  // --- autoscaling and disruption budgets
  test(`[${label}] HPAs and PodDisruptionBudgets fit their Deployments`, () => {
    const p = [];
    for (const h of byKind("HorizontalPodAutoscaler")) {
      const d = deployments.find((x) => x.metadata.name === h.spec.scaleTargetRef.name);
      check(d, `${nameOf(h)} scales a missing Deployment`, p);
      check(d?.spec.replicas === undefined, `${nameOf(d ?? h)} sets replicas although an HPA owns them`, p);
      check(h.spec.minReplicas <= h.spec.maxReplicas, `${nameOf(h)} min > max`, p);
      check(h.spec.metrics.some((m) => m.resource?.name === "cpu"), `${nameOf(h)} does not scale on CPU`, p);
      const pdb = byKind("PodDisruptionBudget").find((x) => x.metadata.name === h.metadata.name);
      if (pdb && Number.isInteger(pdb.spec.minAvailable)) {
        check(pdb.spec.minAvailable < h.spec.minReplicas, `${nameOf(pdb)} minAvailable ${pdb.spec.minAvailable} would block node drains at ${h.spec.minReplicas} replicas`, p);
      }
    }
    for (const pdb of byKind("PodDisruptionBudget")) {
      const d = deployments.find((x) => Object.entries(pdb.spec.selector.matchLabels).every(([k, v]) => x.spec.template.metadata.labels[k] === v));
      check(d, `${nameOf(pdb)} selects no Deployment`, p);
      if (d?.spec.replicas !== undefined && Number.isInteger(pdb.spec.minAvailable)) {
        check(pdb.spec.minAvailable < d.spec.replicas, `${nameOf(pdb)} would block node drains`, p);
      }
    }
    check(byKind("HorizontalPodAutoscaler").length === expectations.hpas, `${byKind("HorizontalPodAutoscaler").length} HPAs, expected ${expectations.hpas}`, p);
    return p;
  });

  // --- migration hook and city data
  test(`[${label}] migration Job is a pre-install/pre-upgrade hook after the city data`, () => {
    const p = [];
    const job = byKind("Job")[0];
    const hook = (o) => o?.metadata.annotations?.["helm.sh/hook"] ?? "";
    const weight = (o) => Number(o?.metadata.annotations?.["helm.sh/hook-weight"] ?? 0);
    check(hook(job).split(",").includes("pre-install") && hook(job).split(",").includes("pre-upgrade"), "Job hooks", p);
    const spec = job.spec.template.spec;
    for (const v of spec.volumes ?? []) {
      if (!v.configMap) continue;
      const cm = byKind("ConfigMap").find((x) => x.metadata.name === v.configMap.name);
      check(cm && hook(cm).includes("pre-install") && weight(cm) < weight(job), `ConfigMap ${v.configMap.name} is not a hook created before the Job`, p);
    }
    const external = externalSecrets(vals);
    for (const e of spec.containers[0].env ?? []) {
      const ref = e.valueFrom?.secretKeyRef?.name;
      if (ref) check(external.has(ref), `the Job reads Secret ${ref}, which would not exist yet on install`, p);
    }
    const sc = spec.containers[0].securityContext ?? {};
    check(sc.readOnlyRootFilesystem && sc.allowPrivilegeEscalation === false && sc.capabilities?.drop?.includes("ALL"), "Job security context", p);
    check(spec.containers[0].resources?.limits?.memory, "Job limits", p);
    check(job.spec.template.metadata.annotations?.["dapr.io/enabled"] === "false", "the Job must not get a sidecar (it would never finish)", p);
    return p;
  });

  test(`[${label}] city data: ${expectations.tenants} tenants, division trees, targets, policies, credentials`, () => {
    const p = [];
    const cm = byKind("ConfigMap").find((x) => x.data?.["city.json"]);
    if (!cm) return ["no city data ConfigMap"];
    const city = JSON.parse(cm.data["city.json"]);
    check(city.tenants.length === expectations.tenants, `${city.tenants.length} tenants`, p);
    const ids = new Set(city.tenants.map((t) => t.id));
    check(ids.size === city.tenants.length, "duplicate tenant ids", p);
    const codes = new Set();
    for (const t of city.tenants) {
      check(t.county.code.startsWith(t.city.code.slice(0, 2)), `${t.id}: county ${t.county.code} is not in province of city ${t.city.code}`, p);
      for (const tw of t.townships) {
        check(tw.code.startsWith(t.county.code), `${t.id}: township ${tw.code} not under county ${t.county.code}`, p);
        for (const v of tw.villages) {
          check(v.code.startsWith(tw.code), `${t.id}: village ${v.code} not under township ${tw.code}`, p);
          check(!codes.has(v.code), `village ${v.code} listed twice`, p);
          codes.add(v.code);
          if (v.task !== undefined) check(v.task <= v.registeredPopulation, `${t.id}: village ${v.code} task above its population`, p);
        }
      }
      if (t.policy) {
        const inline = city.policies[t.policy];
        const applies = inline ? inline.appliesTo : shippedPolicies[t.policy] ? appliesToOf(shippedPolicies[t.policy]) : null;
        check(applies, `${t.id}: policy ${t.policy} is neither in policies nor shipped`, p);
        check(!applies || applies.includes(t.id), `${t.id}: policy ${t.policy} does not apply to it`, p);
        if (inline) check(inline.coverageYear === vals.city.coverageYear, `policy ${t.policy} is for ${inline.coverageYear}`, p);
      }
    }
    for (const cred of vals.gateway.credentials ?? []) {
      if (cred.scope === "tenant") check(ids.has(cred.tenantId), `credential ${cred.name} names unknown tenant ${cred.tenantId}`, p);
    }
    return p;
  });

  // --- monitoring
  test(`[${label}] PrometheusRule: the required alerts, on metrics the code exports`, () => {
    const p = [];
    const rule = byKind("PrometheusRule")[0];
    if (!rule) return ["no PrometheusRule"];
    const rules = rule.spec.groups.flatMap((g) => g.rules);
    const alerts = new Set(rules.map((r) => r.alert).filter(Boolean));
    for (const a of ["MedinsGrpcErrorRateHigh", "MedinsGrpcLatencyP99High", "MedinsOutboxBacklogHigh", "MedinsUnremittedCashHigh", "MedinsVillagesBehindSchedule"]) {
      check(alerts.has(a), `missing alert ${a}`, p);
    }
    const recorded = new Set(rules.map((r) => r.record).filter(Boolean));
    for (const r of rules) {
      for (const m of String(r.expr).matchAll(/\b([a-z_][a-z0-9_]*:?[a-z0-9_:]*)\s*(\{|\[)/g)) {
        const metric = m[1];
        if (recorded.has(metric)) continue;
        check(metricNames.has(metric), `${r.alert ?? r.record}: metric ${metric} is not exported by any service`, p);
      }
      if (r.alert) check(r.labels?.severity && r.annotations?.summary, `${r.alert}: severity and summary`, p);
    }
    return p;
  });

  // The PrometheusRule's spec is a Prometheus rules file: check it and run the unit tests in rules/ against it.
  const ruleObj = byKind("PrometheusRule")[0];
  if (ruleObj) {
    const dir = mkdtempSync(join(tmpdir(), "medins-rules-"));
    try {
      writeFileSync(join(dir, "medins-rules.yaml"), toYaml(ruleObj.spec));
      test(`[${label}] promtool check rules on the rendered PrometheusRule`, () => {
        promtoolRun(["check", "rules", join(dir, "medins-rules.yaml")]);
      });
      for (const f of ruleTestFiles) {
        copyFileSync(join(ruleTests, f.file), join(dir, f.file));
        test(`[${label}] promtool test rules ${f.file} (${f.cases} cases)`, () => {
          promtoolRun(["test", "rules", f.file], dir);
        });
      }
      test(`[${label}] every alert has a firing and a quiet unit test, every recording rule a value test`, () => {
        const p = [];
        for (const r of ruleObj.spec.groups.flatMap((g) => g.rules)) {
          if (r.alert) {
            const cases = ruleTestFiles.flatMap((f) => f.alertCases).filter((c) => c.alertname === r.alert);
            check(cases.some((c) => (c.exp_alerts ?? []).length > 0), `${r.alert}: no case where it fires`, p);
            check(cases.some((c) => (c.exp_alerts ?? []).length === 0), `${r.alert}: no quiet case`, p);
          } else {
            check(ruleTestFiles.some((f) => f.exprs.some((e) => e.includes(r.record))), `${r.record}: no promql_expr_test`, p);
          }
        }
        return p;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test(`[${label}] ServiceMonitor scrapes /metrics of every Service`, () => {
    const p = [];
    const sm = byKind("ServiceMonitor")[0];
    if (!sm) return ["no ServiceMonitor"];
    for (const s of services) {
      const match = Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels[k] === v);
      check(match, `${nameOf(s)} not selected`, p);
      check(sm.spec.endpoints.every((e) => s.spec.ports.some((x) => x.name === e.port)), `${nameOf(s)} lacks the scraped port`, p);
    }
    check(sm.spec.endpoints.some((e) => e.path === "/metrics"), "path /metrics", p);
    return p;
  });

  test(`[${label}] Grafana dashboard: payments by tenant, latency, enrolment, outbox lag`, () => {
    const p = [];
    const cm = byKind("ConfigMap").find((x) => Object.keys(x.data ?? {}).some((k) => k.endsWith(".json") && k !== "city.json"));
    if (!cm) return ["no dashboard ConfigMap"];
    const dash = JSON.parse(Object.entries(cm.data).find(([k]) => k !== "city.json")[1]);
    const exprs = dash.panels.flatMap((x) => x.targets.map((t) => t.expr)).join("\n");
    check(/medins_quota_payments_total[^\n]*by \(tenant\)|by \(tenant\)[^\n]*medins_quota_payments_total/.test(exprs), "payments per second by tenant", p);
    check(/grpc_server_handling_seconds_bucket/.test(exprs), "latency", p);
    check(/increase\(medins_quota_payments_total/.test(exprs), "enrolment by tenant", p);
    check(/medins_outbox_backlog/.test(exprs) && /medins_outbox_delivery_latency_seconds_bucket/.test(exprs), "outbox lag", p);
    for (const m of exprs.matchAll(/\b([a-z_][a-z0-9_]*)\s*\{/g)) check(metricNames.has(m[1]), `dashboard metric ${m[1]} is not exported`, p);
    return p;
  });
}

// ------------------------------------------------------------------ run
const demo = join(chart, "values-demo.yaml");
const forty = join(chart, "values-40-tenants.yaml");

console.log(`helm: ${helmRun(["version", "--short"]).trim()}`);
test("source facts found (topics, subscriptions, publishers, calls, metrics)", () => {
  const p = [];
  check(Object.keys(topicsByConstant).length >= 5, "EventTopics.cs topics", p);
  check(Object.values(code).some((c) => c.subscribes.size > 0), "no MapEventSubscription found", p);
  check(Object.values(code).some((c) => c.publishes.size > 0), "no outbox.AddAsync found", p);
  check(Object.values(code).some((c) => c.calls.size > 0), "no AddServiceClient found", p);
  check(metricNames.has("grpc_server_handled_total") && metricNames.has("medins_outbox_backlog"), "metrics", p);
  return p;
});

await checkValuesFile(demo, { tenants: 9, hpas: 0 });
await checkValuesFile(forty, { tenants: 40, hpas: 6 });

console.log("\noptions and refusals");
test("Kafka option renders a pubsub.kafka component with SASL from the Secret", () => {
  const objs = render(demo, ["--set", "pubsub.type=kafka", "--set", "pubsub.kafka.authType=password", "--set", "pubsub.kafka.saslUsername=medins"]);
  const c = objs.find((o) => o.kind === "Component");
  const p = validateDapr(c);
  check(c.spec.type === "pubsub.kafka", `type ${c.spec.type}`, p);
  check(c.spec.metadata.find((m) => m.name === "saslPassword")?.secretKeyRef, "saslPassword from a secretKeyRef", p);
  return p;
});
test("existing Secrets replace the generated ones", () => {
  const objs = render(demo, ["--set", "secrets.identity.existingSecret=ids", "--set", "secrets.gateway.existingSecret=gw",
    "--set", "secrets.dapr.appTokenSecret=app-token", "--set", "secrets.dapr.apiTokenSecret=api-token",
    ...["gateway", ...Object.keys(serviceFolders)].flatMap((a) => ["--set", `secrets.assertion.existingSecrets.${a}=assertion-${a}`])]);
  const p = [];
  check(!objs.some((o) => o.kind === "Secret"), "a Secret is still rendered", p);
  const env = objs.find((o) => o.kind === "Deployment" && o.metadata.name.endsWith("identity-registry")).spec.template.spec.containers[0].env;
  check(env.filter((e) => e.valueFrom?.secretKeyRef?.name === "ids").length === 2, "identity keys from the existing Secret", p);
  return p;
});
const refusal = (args, pattern, file = demo) => {
  try {
    render(file, args);
    return ["rendered"];
  } catch (e) {
    const msg = String(e.stderr ?? e.message);
    return pattern.test(msg) ? [] : [msg.slice(0, 400)];
  }
};
const componentOf = (objs) => objs.find((o) => o.kind === "Component");
const metaOf = (c) => Object.fromEntries(c.spec.metadata.map((m) => [m.name, m]));
const podOf = (objs, appId) => objs.find((o) => o.kind === "Deployment" && o.metadata.labels["app.kubernetes.io/component"] === appId).spec.template;
const envValue = (t, prefix) => t.spec.containers[0].env.find((e) => e.name.startsWith(prefix))?.value ?? "";

test("Kafka TLS: SASL SCRAM-SHA-512 (Dapr's SHA-512) and the brokers' CA from Secrets", () => {
  const objs = render(demo, ["--set", "pubsub.type=kafka", "--set", "pubsub.kafka.authType=password", "--set", "pubsub.kafka.saslUsername=medins",
    "--set", "pubsub.kafka.saslMechanism=SHA-512", "--set", "pubsub.kafka.caSecretName=kafka-ca"]);
  const c = componentOf(objs);
  const m = metaOf(c);
  const p = validateDapr(c);
  check(m.saslMechanism?.value === "SHA-512", `saslMechanism ${JSON.stringify(m.saslMechanism)}`, p);
  check(m.caCert?.secretKeyRef?.name === "kafka-ca" && m.caCert.secretKeyRef.key === "ca.crt", `caCert ${JSON.stringify(m.caCert)}`, p);
  check(!m.clientCert && !m.clientKey && !m.disableTls, "no client certificate or disableTls with SASL", p);
  return p;
});
test("Kafka mTLS: client certificate and key from a kubernetes.io/tls Secret, with the CA; refused without the Secret", () => {
  const objs = render(demo, ["--set", "pubsub.type=kafka", "--set", "pubsub.kafka.authType=mtls",
    "--set", "pubsub.kafka.caSecretName=kafka-ca", "--set", "pubsub.kafka.clientCertSecretName=medins-kafka-client"]);
  const c = componentOf(objs);
  const m = metaOf(c);
  const p = validateDapr(c);
  check(m.authType?.value === "mtls", "authType mtls", p);
  check(m.clientCert?.secretKeyRef?.name === "medins-kafka-client" && m.clientCert.secretKeyRef.key === "tls.crt", `clientCert ${JSON.stringify(m.clientCert)}`, p);
  check(m.clientKey?.secretKeyRef?.name === "medins-kafka-client" && m.clientKey.secretKeyRef.key === "tls.key", `clientKey ${JSON.stringify(m.clientKey)}`, p);
  check(m.caCert?.secretKeyRef?.name === "kafka-ca", "caCert", p);
  check(!m.saslPassword && !m.saslMechanism, "no SASL with mtls", p);
  p.push(...refusal(["--set", "pubsub.type=kafka", "--set", "pubsub.kafka.authType=mtls"], /clientCertSecretName .*required with authType mtls/));
  return p;
});
test("Redis TLS: enableTLS, the CA mounted read-only into the sidecar (SSL_CERT_DIR), client certificate from a Secret", () => {
  const objs = render(demo, ["--set", "pubsub.redis.enableTLS=true", "--set", "pubsub.redis.caSecretName=redis-ca",
    "--set", "pubsub.redis.clientCertSecretName=redis-client"]);
  const m = metaOf(componentOf(objs));
  const p = validateDapr(componentOf(objs));
  check(m.enableTLS?.value === "true", "enableTLS", p);
  check(m.clientCert?.secretKeyRef?.name === "redis-client" && m.clientKey?.secretKeyRef?.key === "tls.key", "client certificate", p);
  for (const d of objs.filter((o) => o.kind === "Deployment")) {
    const t = d.spec.template;
    const a = t.metadata.annotations;
    if (a["dapr.io/enabled"] !== "true") continue;
    const [vol, dir] = (a["dapr.io/volume-mounts"] ?? "").split(":");
    check(vol && (t.spec.volumes ?? []).find((v) => v.name === vol)?.secret?.secretName === "redis-ca", `${d.metadata.name}: redis CA volume`, p);
    check(a["dapr.io/env"] === `SSL_CERT_DIR=${dir}`, `${d.metadata.name}: dapr.io/env ${a["dapr.io/env"]}`, p);
  }
  const plain = render(demo);
  check(!plain.some((o) => o.kind === "Deployment" && o.spec.template.metadata.annotations["dapr.io/volume-mounts"]), "a CA mount without Redis TLS", p);
  p.push(...refusal(["--set", "pubsub.redis.caSecretName=redis-ca"], /caSecretName needs pubsub\.redis\.enableTLS/));
  return p;
});
test("PostgreSQL TLS: VerifyCA with a CA from a ConfigMap; VerifyFull without a CA is refused", () => {
  const objs = render(demo, ["--set", "database.sslMode=VerifyCA", "--set", "database.ca.configMapName=pg-ca", "--set", "database.ca.key=root.crt"]);
  const p = [];
  const templates = [...objs.filter((o) => o.kind === "Deployment" && o.metadata.labels["app.kubernetes.io/component"] !== "gateway"), ...objs.filter((o) => o.kind === "Job")]
    .map((o) => [o.metadata.name, o.spec.template]);
  check(templates.length === 6, `${templates.length} pods connect`, p);
  for (const [name, t] of templates) {
    check(/;SSL Mode=VerifyCA;.*Root Certificate=\/etc\/medins\/postgresql-ca\/root\.crt;/.test(envValue(t, "ConnectionStrings__")), `${name}: ${envValue(t, "ConnectionStrings__")}`, p);
    check(t.spec.volumes.some((v) => v.configMap?.name === "pg-ca" && v.configMap.items[0].key === "root.crt"), `${name}: no pg-ca volume`, p);
    check(t.spec.containers[0].volumeMounts.some((m) => m.mountPath === "/etc/medins/postgresql-ca" && m.readOnly), `${name}: no read-only mount`, p);
  }
  const gw = podOf(objs, "gateway");
  check(!gw.spec.volumes.some((v) => v.name === "postgresql-ca"), "the gateway gets the database CA", p);
  p.push(...refusal(["--set", "database.sslMode=VerifyFull"], /sslMode=VerifyFull verifies the server's certificate, which needs its CA: set database\.ca\.secretName or database\.ca\.configMapName/));
  return p;
});
test("connection budget: pools derived from database.maxConnections; over budget the render fails naming budget, pods and pool", () => {
  const p = [];
  const objs = render(forty);
  for (const d of objs.filter((o) => o.kind === "Deployment" && o.metadata.labels["app.kubernetes.io/component"] !== "gateway")) {
    // (960 - 3) / (4 x (12 + 3) + (20 + 5)) = 11
    check(/;Maximum Pool Size=11;/.test(envValue(d.spec.template, "ConnectionStrings__")), `${d.metadata.name}: ${envValue(d.spec.template, "ConnectionStrings__")}`, p);
  }
  p.push(...refusal(["--set", "database.maxConnections=300"],
    /connection budget: database\.maxConnections=300, minus the migrator's 3, over 85 service pods at most \(.*payment-collection 20\+5.*\) leaves a pool of 3 per pod, below database\.minPoolSize=4/, forty));
  return p;
});
test("keys under GitOps: helm template of the 40-tenant values without the identity-key Secret fails naming the value to set", () => {
  const p = refusal(["--set", "secrets.identity.existingSecret="], /identity-keys: Helm cannot see the cluster here .* Set secrets\.identity\.existingSecret to a Secret you created once/, forty);
  p.push(...refusal(["--set", "secrets.ephemeralKeys=false"], /Set secrets\.(identity\.existingSecret|assertion\.existingSecrets\.[a-z-]+|dapr\.(app|api)TokenSecret) to a Secret you created once/));
  return p;
});
test("checksum/secrets: secrets.rolloutToken rolls every pod; the gateway's Secret content rolls the gateway only", () => {
  const p = [];
  const sums = (args) => Object.fromEntries(render(demo, args).filter((o) => o.kind === "Deployment")
    .map((d) => [d.metadata.labels["app.kubernetes.io/component"], d.spec.template.metadata.annotations["checksum/secrets"]]));
  const base = sums([]);
  const again = sums([]);
  check(JSON.stringify(base) === JSON.stringify(again), "checksums change between renders of the same values (generated keys in them?)", p);
  const token = sums(["--set", "secrets.rolloutToken=2025-12-01"]);
  for (const [app, sum] of Object.entries(base)) check(token[app] !== sum, `${app}: rolloutToken does not roll it`, p);
  const issuer = sums(["--set", "gateway.tokenIssuer=county-systems"]);
  for (const [app, sum] of Object.entries(base)) check((issuer[app] !== sum) === (app === "gateway"), `${app}: ${issuer[app] !== sum ? "rolls" : "does not roll"} on a change of the gateway's Secret`, p);
  return p;
});
test("a gateway credential without roles is refused by values.schema.json", () => {
  try {
    render(demo, ["--set-json", 'gateway.credentials=[{"name":"x","scope":"city","keySha256":"' + "a".repeat(64) + '"}]']);
    return ["rendered a credential without roles"];
  } catch (e) {
    return /roles/.test(String(e.stderr ?? e.message)) ? [] : [String(e.stderr ?? e.message).slice(0, 300)];
  }
});
test("extraTrustedKeys: a rotated-out key is trusted by every component, after the issuers' own", () => {
  const objs = render(demo, ["--set-json", 'auth.extraTrustedKeys=[{"id":"gateway-20250101","issuer":"gateway","publicKey":"-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----"}]']);
  const p = [];
  for (const d of objs.filter((o) => o.kind === "Deployment")) {
    const env = d.spec.template.spec.containers[0].env;
    const id = env.find((e) => e.value === "gateway-20250101");
    check(id && id.name === "Auth__TrustedKeys__6__Id", `${d.metadata.name}: ${id?.name ?? "not trusted"}`, p);
    check(env.some((e) => e.name === "Auth__TrustedKeys__6__Issuer" && e.value === "gateway"), `${d.metadata.name}: issuer`, p);
  }
  return p;
});
test("gateway: rate limits per tenant, credential and callback route; a token signing key only with its issuer", () => {
  const p = [];
  for (const [args, issuer] of [[[], undefined], [["--set", "gateway.tokenIssuer=county-systems"], "county-systems"]]) {
    const objs = render(demo, args);
    const gw = objs.find((o) => o.kind === "Deployment" && o.metadata.labels["app.kubernetes.io/component"] === "gateway");
    const env = Object.fromEntries(gw.spec.template.spec.containers[0].env.map((e) => [e.name, e.value]));
    for (const bucket of ["PerTenant", "PerCredential", "PerCallbackRoute"]) {
      for (const field of ["Permits", "Burst"]) check(Number(env[`Gateway__RateLimit__${bucket}__${field}`]) >= 1, `Gateway__RateLimit__${bucket}__${field}`, p);
    }
    check(!("Gateway__RateLimit__PermitsPerSecond" in env) && !("Gateway__RateLimit__Burst" in env), "the gateway refuses the old rate-limit names", p);
    check(env.Gateway__TokenIssuer === issuer, `Gateway__TokenIssuer ${env.Gateway__TokenIssuer}`, p);
    const secret = objs.find((o) => o.kind === "Secret" && o.metadata.name === `${release}-medins-city-gateway`);
    check(("Gateway__TokenSigningKey" in secret.data) === (issuer !== undefined), "a token signing key without an issuer stops the gateway", p);
  }
  return p;
});
test("rendering without the database Secret is refused", () => {
  try {
    render(join(chart, "values.yaml"), ["--set", "secrets.ephemeralKeys=true"]);
    return ["rendered without secrets.database.existingSecret"];
  } catch (e) {
    return /secrets\.database\.existingSecret is required/.test(String(e.stderr ?? e.message)) ? [] : [String(e.stderr ?? e.message).slice(0, 300)];
  }
});
test("a password in plain values is refused by values.schema.json", () => {
  try {
    render(demo, ["--set", "database.password=hunter2"]);
    return ["rendered with database.password"];
  } catch (e) {
    return /additional properties|database/i.test(String(e.stderr ?? e.message)) ? [] : [String(e.stderr ?? e.message).slice(0, 300)];
  }
});
test("a raw API key instead of its SHA-256 is refused", () => {
  try {
    render(demo, ["--set", "gateway.credentials[0].keySha256=demo-lidu-key"]);
    return ["rendered with a raw key"];
  } catch (e) {
    return /keySha256/.test(String(e.stderr ?? e.message)) ? [] : [String(e.stderr ?? e.message).slice(0, 300)];
  }
});
test("a release without one of the services is refused (the gateway needs all five)", () => {
  try {
    render(demo, ["--set", "services.notification.enabled=false"]);
    return ["rendered without notification"];
  } catch (e) {
    return /keep all five enabled/.test(String(e.stderr ?? e.message)) ? [] : [String(e.stderr ?? e.message).slice(0, 300)];
  }
});
test("dashboard file is valid JSON", () => {
  JSON.parse(readFileSync(join(chart, "dashboards", "medins-city.json"), "utf8"));
});
// One Dockerfile at the repository root builds every image: shared stages (restore and sources, the runtime base) and
// a target per component, named by its app id, that publishes its project and sets its ports and entrypoint.
const imageFolders = { ...serviceFolders, gateway: "gateway/Gateway", migrator: "services/Migrator" };
const dockerStages = () => {
  const text = readFileSync(join(repo, "Dockerfile"), "utf8");
  const stages = new Map();
  const froms = [...text.matchAll(/^FROM\s+(\S+)\s+AS\s+(\S+)\s*$/gm)];
  froms.forEach((m, i) => stages.set(m[2], { base: m[1], text: text.slice(m.index, froms[i + 1]?.index ?? text.length) }));
  return { text, stages };
};
// A stage's text together with the stages it is built FROM, down to an image.
const stageChain = (stages, name) => {
  const out = [];
  for (let s = stages.get(name); s; s = stages.get(s.base)) out.push(s.text);
  return out.join("\n");
};

test("one Dockerfile builds every service, the gateway and the migrator", () => {
  const p = [];
  if (!existsSync(join(repo, "Dockerfile"))) return ["Dockerfile missing at the repository root"];
  const { text, stages } = dockerStages();
  check(/^FROM mcr\.microsoft\.com\/dotnet\/sdk:10\.0 /m.test(text), "builds with the .NET 10 SDK", p);
  check(!/^ADD\s/m.test(text), "COPY, not ADD", p);
  for (const [id, folder] of Object.entries(imageFolders)) {
    check(!existsSync(join(repo, folder, "Dockerfile")), `${folder}/Dockerfile: the root Dockerfile builds ${id}`, p);
    if (!stages.has(id)) { p.push(`no target ${id}`); continue; }
    const chain = stageChain(stages, id);
    check(/^FROM mcr\.microsoft\.com\/dotnet\/aspnet:10\.0/m.test(chain), `${id}: runs on the aspnet 10.0 runtime`, p);
    check(/^USER\s+(\$APP_UID|1654|app)\s*$/m.test(chain), `${id}: non-root USER`, p);
    check(!/^FROM mcr\.microsoft\.com\/dotnet\/sdk/m.test(chain), `${id}: the runtime image carries no SDK`, p);
  }
  return p;
});

test("the Dockerfile copies every project, reference and embedded file a target's build needs", () => {
  // No Docker daemon here: the build stages are checked statically. Every ProjectReference (transitively) and every
  // EmbeddedResource outside the project folder must be under a COPY source, and no COPY source may be ignored.
  const p = [];
  const ignored = readFileSync(join(repo, ".dockerignore"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  const { stages } = dockerStages();
  for (const [id, folder] of Object.entries(imageFolders)) {
    const target = stages.get(id)?.text ?? "";
    const publishStage = target.match(/^COPY --from=(\S+)/m)?.[1];
    if (!publishStage || !stages.has(publishStage)) { p.push(`${id}: copies from no build stage`); continue; }
    const build = stageChain(stages, publishStage);
    const sources = [...build.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) => m[1].trim().split(/\s+/).slice(0, -1));
    for (const s of sources) {
      check(existsSync(join(repo, s)), `${id}: COPY ${s} does not exist`, p);
      check(!ignored.some((i) => s.replace(/\/$/, "") === i.replace(/\/$/, "")), `${id}: COPY ${s} is in .dockerignore`, p);
    }
    const covered = (path) => sources.some((s) => path === s || (s.endsWith("/") && path.startsWith(s)));
    const seen = new Set();
    const visit = (csproj) => {
      if (seen.has(csproj)) return;
      seen.add(csproj);
      check(covered(csproj), `${id}: ${csproj} is not copied`, p);
      const dir = dirname(csproj);
      const text = readFileSync(join(repo, csproj), "utf8");
      for (const m of text.matchAll(/ProjectReference Include="([^"]+)"/g)) visit(join(dir, m[1]).replace(/\\/g, "/"));
      for (const m of text.matchAll(/EmbeddedResource Include="([^"]+)"/g)) {
        const pattern = join(dir, m[1]);
        check(covered(dirname(pattern) + "/"), `${id}: embedded ${m[1]} of ${csproj} is not copied`, p);
      }
    };
    const main = readdirSync(join(repo, folder)).find((f) => f.endsWith(".csproj"));
    visit(`${folder}/${main}`);
    // The restore RUN, its continuation lines joined.
    const restore = build.replace(/\\\n/g, " ").split("\n").find((l) => l.startsWith("RUN ") && l.includes("dotnet restore")) ?? "";
    check(restore.includes(`${folder}/${main}`), `${id}: restores ${main}`, p);
    check(new RegExp(`dotnet publish ${folder}/${main} `).test(stages.get(publishStage).text), `${id}: publishes ${main}`, p);
    check(target.includes(`ENTRYPOINT ["dotnet", "${main.replace(/\.csproj$/, "")}.dll"]`), `${id}: ENTRYPOINT runs ${main}'s dll`, p);
    check(covered("Directory.Build.props") && covered("Directory.Packages.props"), `${id}: Directory.*.props not copied`, p);
  }
  return p;
});

test("skaffold.yaml builds every image and hands each to the chart", () => {
  const p = [];
  const sk = parseYaml(readFileSync(join(repo, "skaffold.yaml"), "utf8"));
  check(/^skaffold\/v4beta1[1-9]$/.test(sk.apiVersion), `apiVersion ${sk.apiVersion}`, p);
  const schema = JSON.parse(readFileSync(join(chart, "values.schema.json"), "utf8"));
  const release = sk.deploy.helm.releases[0];
  check(release.chartPath === "charts/medins-city", "chartPath", p);
  const templates = release.setValueTemplates ?? {};
  const { stages } = dockerStages();
  const targets = new Set();
  for (const a of sk.build.artifacts) {
    check(a.context === ".", `${a.image}: context must be the repository root`, p);
    check(a.docker.dockerfile === "Dockerfile", `${a.image}: builds from the root Dockerfile, not ${a.docker.dockerfile}`, p);
    check(stages.has(a.docker.target), `${a.image}: target ${a.docker.target} is not a stage of the Dockerfile`, p);
    targets.add(a.docker.target);
    const key = Object.entries(templates).find(([, v]) => v.includes(`IMAGE_FULLY_QUALIFIED_${a.image}}}`))?.[0];
    check(key, `${a.image} is built but never given to the chart`, p);
    if (key) {
      let node = schema;
      for (const part of key.split(".")) node = node?.properties?.[part];
      check(node, `${key} is not a chart value`, p);
    }
    check(/^[a-z0-9_]+$/.test(a.image), `${a.image}: use [a-z0-9_] so the template variable name is exact`, p);
  }
  for (const id of Object.keys(imageFolders)) check(targets.has(id), `${id} is not built`, p);
  for (const f of release.valuesFiles) check(existsSync(join(repo, f)), `${f} missing`, p);
  const names = new Set((sk.profiles ?? []).map((x) => x.name));
  check(names.has("dev") && names.has("production-like"), "profiles dev and production-like", p);
  for (const prof of sk.profiles ?? []) {
    for (const patch of prof.patches ?? []) {
      if (Array.isArray(patch.value)) for (const f of patch.value) if (/\.yaml$/.test(f)) check(existsSync(join(repo, f)), `${prof.name}: ${f} missing`, p);
    }
  }
  return p;
});

// ------------------------------------------------------------------ tenants are data (issue 18)
// Every tenant of every values file carries its quota rules and a policy for the city's coverage year in the rendered
// city data: a document given in the values (quotaRules / policies) or a shipped one by name, listing the tenant.
const jsoncParse = (text) => JSON.parse(text.replace(/("(?:\\.|[^"\\])*")|\/\/[^\n]*/g, (m, str) => str ?? "").replace(/,(\s*[}\]])/g, "$1"));
const shippedDocument = (folder, name) => {
  const path = join(repo, folder, `${name}.jsonc`);
  return existsSync(path) ? jsoncParse(readFileSync(path, "utf8")) : undefined;
};
console.log("\ntenants are data");
for (const file of readdirSync(chart).filter((f) => /^values.*\.yaml$/.test(f) && f !== "values.yaml").sort()) {
  test(`[${file}] every tenant has quota rules and a policy for the coverage year in the city data`, () => {
    const p = [];
    const cm = render(join(chart, file)).find((o) => o.kind === "ConfigMap" && o.data?.["city.json"]);
    if (!cm) return ["no city data ConfigMap"];
    const city = JSON.parse(cm.data["city.json"]);
    check(city.tenants.length > 0, "no tenants", p);
    for (const t of city.tenants) {
      for (const [kind, inline, folder] of [["quotaRules", city.quotaRules, "services/QuotaTracking/Rules"],
                                            ["policy", city.policies, "services/ContributionCalculation/Policies"]]) {
        const name = t[kind];
        const doc = !name ? undefined : inline?.[name] ?? shippedDocument(folder, name);
        check(name, `${t.id}: no ${kind}`, p);
        if (!name) continue;
        check(doc, `${t.id}: ${kind} ${name} is neither in the values nor shipped`, p);
        if (!doc) continue;
        check(doc.coverageYear === city.coverageYear, `${t.id}: ${kind} ${name} is for ${doc.coverageYear}, not ${city.coverageYear}`, p);
        check((doc.appliesTo ?? []).includes(t.id), `${t.id}: ${kind} ${name} does not list it in appliesTo`, p);
      }
      for (const c of t.identityCodes ?? []) check(c.category && c.department && c.name, `${t.id}: identity code ${JSON.stringify(c)}`, p);
    }
    return p;
  });
}
test("a tenant's quota rules for another year fail the render, naming the tenant", () => {
  try {
    render(join(chart, "values-40-tenants.yaml"), ["--set", "quotaRules.sl-c03-2025.coverageYear=2024"]);
    return ["rendered quota rules of 2024 for a 2025 city"];
  } catch (e) {
    return /tenant sl-c03-t01 has no quotaRules for coverage year 2025/.test(String(e.stderr ?? e.message)) ? [] : [String(e.stderr ?? e.message).slice(0, 300)];
  }
});
test("a tenant without quota rules is refused by values.schema.json", () => {
  try {
    render(join(chart, "values-demo.yaml"), ["--set", "tenants[0].quotaRules=null"]);
    return ["rendered a tenant without quota rules"];
  } catch (e) {
    return /quotaRules/.test(String(e.stderr ?? e.message)) ? [] : [String(e.stderr ?? e.message).slice(0, 300)];
  }
});
test("the migration Job fails at once when the migrator refuses the city data (exit 3)", () => {
  const job = render(join(chart, "values-demo.yaml")).find((o) => o.kind === "Job");
  const rule = job?.spec.podFailurePolicy?.rules?.find((r) => r.action === "FailJob");
  return rule?.onExitCodes?.operator === "In" && rule.onExitCodes.values.includes(3) && rule.onExitCodes.containerName === "migrator"
    ? [] : ["no podFailurePolicy failing the Job on exit code 3"];
});

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
