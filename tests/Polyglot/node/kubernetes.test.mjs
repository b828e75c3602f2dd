// The Kubernetes samples (samples/Kubernetes) checked offline: every manifest against the Kubernetes API's own schemas
// (kubernetes-models, which bundles them; no cluster needed), the shapes docs/deployment.md promises (a native sidecar,
// a shared socket, grpc probes on the health port, non-root and read-only), and every sidecar command line accepted by
// the real demo sidecar. What cannot run here: building the image (no Docker daemon) and applying the manifests.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { parseAllDocuments } from "yaml";
import { Deployment } from "kubernetes-models/apps/v1";
import { Service } from "kubernetes-models/v1";

const opts = { timeout: 60_000 };
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const SAMPLES = path.join(ROOT, "samples/Kubernetes");
const DLL = process.env.DEMO_SIDECAR_DLL
  || path.join(ROOT, "samples/Demo/Sidecar/bin/Release/net10.0/SidecarKit.Samples.Demo.Sidecar.dll");
const MODELS = { "apps/v1/Deployment": Deployment, "v1/Service": Service };

const documents = (file) => parseAllDocuments(fs.readFileSync(path.join(SAMPLES, file), "utf8")).map((d) => {
  assert.deepEqual(d.errors, [], `${file}: YAML errors`);
  return d.toJS();
});

function validate(object) {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  assert.ok(Model, `no schema for ${object.apiVersion} ${object.kind}`);
  new Model(object).validate();   // throws with the schema's complaint
}

const podSpec = (deployment) => deployment.spec.template.spec;
const sidecarContainers = (spec) => [...(spec.initContainers ?? []), ...spec.containers].filter((c) => c.image.startsWith("sidecarkit-demo-sidecar"));

describe("kubernetes: the sample manifests", opts, () => {
  for (const file of ["native-sidecar.yaml", "sidecar-service.yaml"]) {
    test(`${file}: every object is valid against the Kubernetes schemas`, () => {
      const objects = documents(file);
      assert.ok(objects.length > 0);
      for (const object of objects) validate(object);
    });

    test(`${file}: the sidecar runs non-root on a read-only file system, probed with grpc on its health port`, () => {
      for (const deployment of documents(file).filter((o) => o.kind === "Deployment")) {
        const spec = podSpec(deployment);
        assert.equal(spec.securityContext.runAsNonRoot, true);
        for (const c of sidecarContainers(spec)) {
          assert.equal(c.securityContext.readOnlyRootFilesystem, true);
          assert.equal(c.securityContext.allowPrivilegeEscalation, false);
          const healthPort = Number(c.args[c.args.indexOf("--health-port") + 1]);
          assert.ok(healthPort > 0, "the sidecar has a --health-port");
          for (const probe of [c.readinessProbe, c.livenessProbe]) assert.equal(probe.grpc.port, healthPort);
          assert.ok(c.ports.some((p) => p.containerPort === healthPort));
        }
      }
    });
  }

  test("native-sidecar.yaml: the sidecar is a native sidecar sharing its socket's emptyDir with the app", () => {
    const [deployment] = documents("native-sidecar.yaml");
    const spec = podSpec(deployment);
    const [sidecar] = spec.initContainers;
    assert.equal(sidecar.restartPolicy, "Always");
    const socket = sidecar.args[sidecar.args.indexOf("--listen") + 1];
    const mount = sidecar.volumeMounts.find((m) => socket.startsWith(m.mountPath + "/"));
    assert.ok(mount, `the socket ${socket} is in a mounted volume`);
    assert.ok(spec.volumes.find((v) => v.name === mount.name).emptyDir);
    assert.ok(spec.containers[0].volumeMounts.some((m) => m.name === mount.name && m.mountPath === mount.mountPath));
  });

  test("sidecar-service.yaml: a headless service over the sidecars' gRPC port, served with mTLS", () => {
    const [deployment, service] = documents("sidecar-service.yaml");
    assert.equal(service.spec.clusterIP, "None");
    assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
    const [c] = podSpec(deployment).containers;
    const grpc = c.ports.find((p) => p.name === service.spec.ports[0].targetPort);
    assert.ok(grpc && c.args.includes(`0.0.0.0:${grpc.containerPort}`));
    for (const flag of ["--tls-cert", "--tls-key", "--tls-client-ca"]) assert.ok(c.args.includes(flag), flag);
  });

  test("the validator refuses a broken manifest (a port that is not a number)", () => {
    const [deployment] = documents("native-sidecar.yaml");
    podSpec(deployment).initContainers[0].ports[0].containerPort = "health";
    assert.throws(() => validate(deployment));
  });

  test("every sidecar command line in the samples is one the demo sidecar accepts", () => {
    const commandLines = [
      ...["native-sidecar.yaml", "sidecar-service.yaml"].flatMap((f) => documents(f).filter((o) => o.kind === "Deployment")
        .flatMap((d) => sidecarContainers(podSpec(d)).map((c) => c.args))),
      JSON.parse(fs.readFileSync(path.join(SAMPLES, "Dockerfile"), "utf8").match(/^CMD (\[.*\])$/m)[1]),
    ];
    for (const args of commandLines) {
      // --help after the flags: they are parsed (an unknown or malformed one exits 2) and nothing is started.
      const out = execFileSync("dotnet", [DLL, ...args, "--help"], { encoding: "utf8", timeout: 30_000 });
      assert.match(out, /^Usage: /, args.join(" "));
    }
  });
});
