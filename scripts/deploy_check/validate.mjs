// The deploy check's checker (run by scripts/check_deploy.sh; node, with the packages of
// package.json installed in DRL_DEPLOY_TOOLS).
//
//   node validate.mjs --help-file HELP [--extract-config DIR] \
//        SET=FILE[,FILE...] [SET=FILE...]
//
// Each SET is one deployment (the plain manifests, or one rendering of the chart). For
// every object of every set it checks:
//   schema  the object against its API version's JSON schema (kubernetes-models' ajv
//           validators: types, required fields, enums, formats);
//   fields  that it names only existing fields: each object becomes a TypeScript literal
//           typed with the API's interface, and tsc's excess-property check refuses any
//           field the type lacks (the JSON schemas allow unknown fields, the API server
//           drops or refuses them);
//   flags   every `--flag` passed to `drl node` appears in HELP (`drl node --help`), and
//           every $(VAR) in the args is an env var of the container;
//   wiring  inside the set: Service target ports and probe ports name container ports of
//           the right protocol; the --listen/--metrics/--resp/--grpc ports are the
//           container ports; serviceName and the --join name are the headless Service;
//           selectors match the pod labels; mounts, ConfigMap keys and files agree.
// The first set is the reference: every other set named `default` must hold the same
// objects (labels and annotations only Helm adds aside).
// Then the check proves it can fail: it runs again on copies of the first two sets, each
// broken in one way (a made-up flag, an unknown field, a wrong type, a Service port naming
// no container port, manifests and chart apart), and each copy must fail with its message.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const tools = process.env.DRL_DEPLOY_TOOLS;
const require = createRequire(path.join(tools, "package.json"));
const YAML = require("yaml");
const ts = require("typescript");

const args = process.argv.slice(2);
let helpFile = "";
let extractDir = "";
const sets = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--help-file") helpFile = args[++i];
  else if (args[i] === "--extract-config") extractDir = args[++i];
  else {
    const eq = args[i].indexOf("=");
    sets.push({ name: args[i].slice(0, eq), files: args[i].slice(eq + 1).split(",") });
  }
}

// Errors of the case being checked (the real sets, or one broken copy).
let errors = [];
const fail = (where, msg) => errors.push(`${where}: ${msg}`);

// --- load -----------------------------------------------------------------------------
for (const set of sets) {
  set.objects = [];
  for (const file of set.files) {
    const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), { uniqueKeys: true });
    docs.forEach((doc, i) => {
      for (const e of doc.errors) fail(`${file}#${i + 1}`, `YAML: ${e.message}`);
      const obj = doc.toJS();
      if (obj === null || obj === undefined) return; // an empty document (a disabled template)
      if (typeof obj !== "object" || !obj.apiVersion || !obj.kind || !obj.metadata?.name) {
        fail(`${file}#${i + 1}`, "not a Kubernetes object (apiVersion, kind, metadata.name)");
        return;
      }
      set.objects.push({
        obj,
        where: `${set.name} (${path.basename(file)}): ${obj.kind}/${obj.metadata.name}`,
      });
    });
  }
  if (set.objects.length === 0) fail(set.name, "no objects");
}

const first = (set, kind, pred = () => true) => set.objects.find((o) => o.obj.kind === kind && pred(o.obj));

// --- the broken copies (the check proving it can fail) -----------------------------------
const mutations = {
  flag: [
    (sts) => sts.spec.template.spec.containers[0].args.push("--no-such-flag=1"),
    "flag --no-such-flag is not in `drl node --help`",
  ],
  field: [
    (sts) => (sts.spec.template.spec.containers[0].readinessProbe.httpGet.bogusField = 1),
    `'"bogusField"' does not exist in type`,
  ],
  type: [(sts) => (sts.spec.replicas = "three"), "data/spec/replicas must be integer"],
  port: [
    (sts, set) => (first(set, "Service").obj.spec.ports[0].targetPort = "no-such-port"),
    "targetPort no-such-port is not a container port",
  ],
  differ: [
    (sts) => (sts.spec.template.spec.terminationGracePeriodSeconds += 1),
    ".spec.terminationGracePeriodSeconds: ",
  ],
};
const loadErrors = errors;
const cases = [{ name: "", sets, errors: loadErrors }];
for (const [name, [mutate, expect]] of Object.entries(mutations)) {
  const copy = sets.slice(0, 2).map((set) => ({
    ...set,
    objects: set.objects.map((o) => ({ ...o, obj: structuredClone(o.obj) })),
  }));
  const sts = first(copy[0], "StatefulSet");
  if (!sts) continue;
  mutate(sts.obj, copy[0]);
  cases.push({ name, sets: copy, errors: [], expect });
}

// --- schema: kubernetes-models' validators ------------------------------------------------
function modelModule(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "monitoring.coreos.com")
    return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  return group === ""
    ? `kubernetes-models/${version}/${kind}`
    : `kubernetes-models/${group}/${version}/${kind}`;
}

const modules = new Map();
for (const c of cases) {
  errors = c.errors;
  for (const o of c.sets.flatMap((set) => set.objects)) {
    const spec = modelModule(o.obj.apiVersion, o.obj.kind);
    const resolved = path.join(tools, "node_modules", `${spec}.js`);
    if (!fs.existsSync(resolved)) {
      fail(o.where, `unknown kind ${o.obj.kind} in ${o.obj.apiVersion}`);
      continue;
    }
    if (!modules.has(spec)) modules.set(spec, await import(pathToFileURL(resolved).href));
    const Model = modules.get(spec)[o.obj.kind];
    try {
      new Model(structuredClone(o.obj)).validate();
    } catch (e) {
      fail(o.where, `schema: ${e.message}`);
    }
    o.module = spec;
  }
}

// --- fields: TypeScript's excess-property check -------------------------------------------
{
  const dir = fs.mkdtempSync(path.join(tools, "tscheck-"));
  const file = path.join(dir, "objects.mts");
  const lines = [];
  const owner = []; // line index -> [case, object description]
  let n = 0;
  for (const c of cases) {
    for (const o of c.sets.flatMap((set) => set.objects)) {
      if (!o.module) continue;
      const name = `I${o.obj.kind}`;
      const alias = `T${n}`;
      lines.push(`import type { ${name} as ${alias} } from "${o.module}";`);
      owner.push([c, o.where]);
      const body = `export const o${n}: ${alias} = ${JSON.stringify(o.obj, null, 2)};`.split("\n");
      for (const l of body) {
        lines.push(l);
        owner.push([c, o.where]);
      }
      n++;
    }
  }
  fs.writeFileSync(file, lines.join("\n") + "\n");
  const program = ts.createProgram([file], {
    noEmit: true,
    strict: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: [],
    typeRoots: [],
    baseUrl: tools,
  });
  const source = program.getSourceFile(file);
  for (const d of ts.getPreEmitDiagnostics(program, source)) {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, "\n  ");
    if (d.file && d.start !== undefined) {
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      const [c, where] = owner[line];
      c.errors.push(`${where}: fields: ${msg}\n    at: ${lines[line].trim()}`);
    } else {
      loadErrors.push(`tsc: ${msg}`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

// --- flags ----------------------------------------------------------------------------------
const help = fs.readFileSync(helpFile, "utf8");
const knownFlags = new Set([...help.matchAll(/^\s+(?:-\w,)?(--[a-z0-9][a-z0-9-]*)/gm)].map((m) => m[1]));
if (knownFlags.size < 10) loadErrors.push(`${helpFile}: does not look like \`drl node --help\``);

// --- wiring, per set ------------------------------------------------------------------------
const portOf = (hostPort) => Number(hostPort.slice(hostPort.lastIndexOf(":") + 1));

function checkWiring(sets, real) {
  for (const set of sets) {
    const sts = first(set, "StatefulSet");
    if (!sts) {
      fail(set.name, "no StatefulSet");
      continue;
    }
    const where = sts.where;
    const spec = sts.obj.spec;
    const pod = spec.template.spec;
    const podLabels = spec.template.metadata?.labels ?? {};
    const matches = (sel) =>
      sel && Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => podLabels[k] === v);
    if (!matches(spec.selector?.matchLabels)) fail(where, "selector does not match the pod labels");
    if (spec.podManagementPolicy !== "Parallel") fail(where, "podManagementPolicy is not Parallel");

    const c = pod.containers.find((x) => x.args?.[0] === "node");
    if (!c) {
      fail(where, "no container running `drl node`");
      continue;
    }
    const env = new Set((c.env ?? []).map((e) => e.name));
    const flags = new Map();
    for (const a of c.args.slice(1)) {
      if (!a.startsWith("--")) {
        fail(where, `argument '${a}': write flags as --flag=value`);
        continue;
      }
      const eq = a.indexOf("=");
      const flag = eq < 0 ? a : a.slice(0, eq);
      if (!knownFlags.has(flag)) fail(where, `flag ${flag} is not in \`drl node --help\``);
      flags.set(flag, eq < 0 ? "" : a.slice(eq + 1));
      for (const m of a.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g))
        if (!env.has(m[1])) fail(where, `${a}: $(${m[1]}) is not an env var of the container`);
    }

    // Container ports, and the flags that open them.
    const cports = new Map((c.ports ?? []).map((p) => [p.name, p]));
    const expectPort = (flag, name, protocol = "TCP") => {
      if (!flags.has(flag)) return;
      const p = cports.get(name);
      if (!p) return fail(where, `${flag} is set but no container port is named ${name}`);
      if (p.containerPort !== portOf(flags.get(flag)) || (p.protocol ?? "TCP") !== protocol)
        fail(
          where,
          `container port ${name} (${p.containerPort}/${p.protocol}) is not ${flag}=${flags.get(flag)}`,
        );
    };
    expectPort("--listen", "native");
    expectPort("--listen", "gossip", "UDP");
    expectPort("--metrics", "metrics");
    expectPort("--resp", "resp");
    expectPort("--grpc", "grpc");
    for (const name of ["resp", "grpc"])
      if (cports.has(name) && !flags.has(`--${name}`)) fail(where, `container port ${name} but no --${name}`);
    if (flags.has("--advertise") && portOf(flags.get("--advertise")) !== portOf(flags.get("--listen")))
      fail(where, "--advertise and --listen name different ports");

    for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
      const g = c[probe]?.httpGet;
      if (!g) {
        fail(where, `no ${probe}`);
        continue;
      }
      if (g.port !== "metrics" || !cports.has("metrics")) fail(where, `${probe} is not on the metrics port`);
    }
    if (c.readinessProbe?.httpGet?.path !== "/readyz") fail(where, "readinessProbe is not /readyz");
    if (c.livenessProbe?.httpGet?.path !== "/healthz") fail(where, "livenessProbe is not /healthz");

    // Services.
    const services = set.objects.filter((o) => o.obj.kind === "Service");
    const headless = services.find((o) => o.obj.spec.clusterIP === "None");
    if (!headless) fail(set.name, "no headless Service");
    else {
      if (spec.serviceName !== headless.obj.metadata.name)
        fail(
          where,
          `serviceName ${spec.serviceName} is not the headless Service ${headless.obj.metadata.name}`,
        );
      if (!headless.obj.spec.publishNotReadyAddresses)
        fail(headless.where, "publishNotReadyAddresses is not true");
      const join = flags.get("--join");
      if (join !== undefined && !join.startsWith(`dns+${headless.obj.metadata.name}.`))
        fail(where, `--join=${join} does not name the headless Service`);
      if (join !== undefined && portOf(join) !== cports.get("native")?.containerPort)
        fail(where, `--join=${join} is not the native port`);
    }
    for (const s of services) {
      if (!matches(s.obj.spec.selector)) fail(s.where, "selector does not match the pod labels");
      for (const p of s.obj.spec.ports) {
        const target = cports.get(p.targetPort);
        if (!target) fail(s.where, `port ${p.name}: targetPort ${p.targetPort} is not a container port`);
        else if ((target.protocol ?? "TCP") !== (p.protocol ?? "TCP"))
          fail(
            s.where,
            `port ${p.name}: protocol ${p.protocol} but container port ${p.targetPort} is ${target.protocol}`,
          );
      }
    }
    const pdb = first(set, "PodDisruptionBudget");
    if (!pdb) fail(set.name, "no PodDisruptionBudget");
    else if (!matches(pdb.obj.spec.selector?.matchLabels))
      fail(pdb.where, "selector does not match the pod labels");
    const sm = first(set, "ServiceMonitor");
    if (sm && headless) {
      const sel = sm.obj.spec.selector.matchLabels;
      const labels = headless.obj.metadata.labels ?? {};
      if (!Object.entries(sel).every(([k, v]) => labels[k] === v))
        fail(sm.where, "does not select the headless Service");
      if (!sm.obj.spec.endpoints.every((e) => headless.obj.spec.ports.some((p) => p.name === e.port)))
        fail(sm.where, "an endpoint port is not a port of the headless Service");
    }

    // Volumes, mounts, and the files the flags name.
    const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
    for (const t of spec.volumeClaimTemplates ?? []) volumes.set(t.metadata.name, { claim: t });
    const mounts = (c.volumeMounts ?? []).map((m) => ({ ...m, volume: volumes.get(m.name) }));
    for (const m of mounts) if (!m.volume) fail(where, `volumeMount ${m.name} has no volume`);
    const fileFlags = ["--policies", "--rls-config", "--cluster-key-file", "--data-dir"];
    for (const flag of fileFlags) {
      if (!flags.has(flag)) continue;
      const p = flags.get(flag);
      const m = mounts.find((x) => p === x.mountPath || p.startsWith(x.mountPath + "/"));
      if (!m?.volume) {
        fail(where, `${flag}=${p} is on no mounted volume`);
        continue;
      }
      const key = p.slice(m.mountPath.length + 1);
      if (m.volume.configMap) {
        const cm = first(set, "ConfigMap", (o) => o.metadata.name === m.volume.configMap.name);
        if (!cm) fail(where, `ConfigMap ${m.volume.configMap.name} is not among the objects`);
        else if (!(key in (cm.obj.data ?? {}))) fail(cm.where, `has no key ${key} (${flag})`);
      }
      if (flag === "--data-dir" && !m.volume.claim) fail(where, "--data-dir is not on a volumeClaimTemplate");
    }
    if (flags.get("--storage") === "durable" && !flags.has("--data-dir"))
      fail(where, "--storage=durable without --data-dir");

    // The ConfigMap's files, for check_deploy.sh to load into a real node.
    if (real && extractDir && set === sets[0]) {
      const cm = first(set, "ConfigMap");
      for (const [k, v] of Object.entries(cm?.obj.data ?? {})) fs.writeFileSync(path.join(extractDir, k), v);
    }
    if (real) console.log(`${set.name}: ${set.objects.length} objects, ${flags.size} drl flags`);
  }
}

// --- the sets agree ---------------------------------------------------------------------------
const helmOnlyLabels = ["helm.sh/chart", "app.kubernetes.io/managed-by", "app.kubernetes.io/version"];
const helmOnlyAnnotations = ["checksum/config"];
function normalise(obj) {
  const o = structuredClone(obj);
  const strip = (meta) => {
    if (!meta) return;
    for (const l of helmOnlyLabels) delete meta.labels?.[l];
    for (const a of helmOnlyAnnotations) delete meta.annotations?.[a];
    if (meta.annotations && Object.keys(meta.annotations).length === 0) delete meta.annotations;
  };
  strip(o.metadata);
  strip(o.spec?.template?.metadata);
  return o;
}
function differences(a, b, at, out) {
  if (JSON.stringify(a) === JSON.stringify(b)) return out;
  if (a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)]))
      differences(a[k], b[k], `${at}.${k}`, out);
  } else {
    out.push(`${at}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`);
  }
  return out;
}
function checkAgreement(sets) {
  const reference = sets[0];
  for (const set of sets.slice(1).filter((s) => s.name === "default")) {
    const key = (o) => `${o.obj.kind}/${o.obj.metadata.name}`;
    const theirs = new Map(set.objects.map((o) => [key(o), o]));
    for (const o of reference.objects) {
      const t = theirs.get(key(o));
      if (!t) {
        fail(set.name, `has no ${key(o)} (${reference.name} has)`);
        continue;
      }
      theirs.delete(key(o));
      for (const d of differences(normalise(o.obj), normalise(t.obj), key(o), []))
        fail(`${reference.name} vs ${set.name}`, d);
    }
    for (const k of theirs.keys()) fail(set.name, `has ${k}, ${reference.name} has not`);
  }
}

for (const c of cases) {
  errors = c.errors;
  checkWiring(c.sets, c.name === "");
  checkAgreement(c.sets);
}
const [real, ...broken] = cases;
if (real.errors.length) {
  for (const e of real.errors) console.error(`check_deploy: ${e}`);
  process.exit(1);
}
for (const c of broken) {
  if (!c.errors.some((e) => e.includes(c.expect))) {
    console.error(`check_deploy: a copy broken on purpose (${c.name}) did not fail with '${c.expect}':`);
    for (const e of c.errors) console.error(`  ${e}`);
    process.exit(1);
  }
}
const objects = sets.reduce((n, s) => n + s.objects.length, 0);
console.log(
  `check_deploy: ${sets.length} sets, ${objects} objects: schema, fields, flags, wiring and agreement OK`,
);
console.log(
  `check_deploy: each of ${broken.length} copies broken on purpose fails (${broken.map((c) => c.name).join(", ")})`,
);
