#!/usr/bin/env python3
"""Run stance-server the way the rendered Kubernetes manifests run it, and check what they assume.

    python deploy/tests/run_as_manifest.py --rendered target/deploy-check/rendered/prod.yaml --static
    python deploy/tests/run_as_manifest.py --rendered target/deploy-check/rendered/prod.yaml \
        --server target/release/stance-server --trainer target/release/stance-train

--static only cross-checks the rendered resources (ports, probes, timings, volumes, selectors,
security context). The live run, on loopback only:

 1. emulates the pod: the env is built as kubelet builds it (the ConfigMap through envFrom, then
    `env` in order with $(VAR) expansion, the downward API pod name, the Secret key replaced by a
    test value); every volume mount becomes a directory under a temp dir and every env value or
    argument under a mount path is rewritten to it; image paths of the trainer image map to their
    sources in the repo (the same COPY lines as deploy/docker/Dockerfile);
 2. runs the initContainer (prepare-volume script), which seeds the model volume with the default
    model (training/model/assets/default.stance, the file the server embeds and the image ships);
 3. starts stance-server with the container's command/args (none: the image entrypoint) and that
    env. The only overrides: STANCE_LISTEN and STANCE_METRICS_LISTEN become 127.0.0.1 with free
    ports (the container ports are 0.0.0.0:50051/9090), and TMPDIR points at the /tmp emptyDir;
 4. checks grpc.health.v1 for "" (liveness) and the readiness/startup service name, GET /metrics,
    Classify, SubmitFeedback with the API key from the Secret, and no key -> rejected;
 5. runs the retraining CronJob's container (retrain script: train on corpus + feedback, promotion
    gate, atomic rename onto the volume) and waits for the server to hot-reload the new file;
 6. measures RSS and CPU under a short load (sizing for the resource requests and limits);
 7. sends SIGTERM while four streams of large ClassifyBatch requests are in flight: the requests
    the server had admitted complete OK (at least one must be in flight), any other failure is
    the server's logged UNAVAILABLE refusal of a request still arriving at SIGTERM, the
    readiness service turns NOT_SERVING, and the process exits 0 within
    terminationGracePeriodSeconds minus the preStop sleep.

Prints one PASS/FAIL line per check and ends with "N passed, N failed".
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "stance.v1.StanceService"
POD_NAME = "stance-server-6d5f8b7c9-test0"
TEST_API_KEY = "run-as-manifest-test-key"  # stands in for Secret stance-feedback/api-key

# Trainer-image paths -> where the same file comes from in the repo (deploy/docker/Dockerfile COPY).
IMAGE_FILES = {
    "/usr/local/bin/stance-prepare-volume": ROOT / "deploy/docker/prepare-volume.sh",
    "/usr/local/bin/stance-retrain": ROOT / "deploy/docker/retrain.sh",
    "/opt/stance/training/data": ROOT / "training/data",
    "/opt/stance/models/default.model": ROOT / "training/model/assets/default.stance",
}


class Checks:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        if ok:
            self.passed += 1
            print(f"PASS {what}" + (f": {detail}" if detail else ""), flush=True)
        else:
            self.failed += 1
            print(f"FAIL {what}" + (f": {detail}" if detail else ""), flush=True)
        return ok


def parse_duration(s: str) -> float:
    """humantime subset used in the ConfigMap: 10s, 500ms, 2m, 1h, 0."""
    total = 0.0
    units = {"ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", s.strip())
    if not parts:
        raise ValueError(f"bad duration {s!r}")
    for num, unit in parts:
        if unit == "" and float(num) == 0:
            continue
        total += float(num) * units[unit]
    return total


def port_of(addr: str) -> int:
    return int(addr.rsplit(":", 1)[1])


def load(rendered: Path) -> dict[tuple[str, str], dict]:
    out = {}
    for doc in yaml.safe_load_all(rendered.read_text()):
        if doc:
            out[(doc["kind"], doc["metadata"]["name"])] = doc
    return out


def find(res: dict, kind: str, prefix: str) -> dict:
    hits = [d for (k, n), d in res.items() if k == kind and n.startswith(prefix)]
    if len(hits) != 1:
        raise SystemExit(f"expected one {kind} named {prefix}*, found {len(hits)}")
    return hits[0]


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


# --- static cross-checks ---------------------------------------------------------------------


def static_checks(res: dict, c: Checks) -> None:
    dep = find(res, "Deployment", "stance-server")
    pod = dep["spec"]["template"]["spec"]
    labels = dep["spec"]["template"]["metadata"]["labels"]
    ctr = next(x for x in pod["containers"] if x["name"] == "stance-server")
    cm_name = ctr["envFrom"][0]["configMapRef"]["name"]
    cm = res[("ConfigMap", cm_name)]["data"]
    ports = {p["name"]: p["containerPort"] for p in ctr["ports"]}

    c.check(port_of(cm["STANCE_LISTEN"]) == ports["grpc"], "STANCE_LISTEN port = containerPort grpc",
            f'{cm["STANCE_LISTEN"]} / {ports["grpc"]}')
    c.check(port_of(cm["STANCE_METRICS_LISTEN"]) == ports["metrics"],
            "STANCE_METRICS_LISTEN port = containerPort metrics",
            f'{cm["STANCE_METRICS_LISTEN"]} / {ports["metrics"]}')
    ann = dep["spec"]["template"]["metadata"].get("annotations", {})
    c.check(ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/port") == str(ports["metrics"])
            and ann.get("prometheus.io/path") == "/metrics", "prometheus annotations name the metrics port")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        g = ctr.get(probe, {}).get("grpc")
        c.check(g is not None and g["port"] == ports["grpc"], f"{probe} is a native gRPC probe on the grpc port")
    c.check(ctr["readinessProbe"]["grpc"].get("service") == SERVICE, f"readinessProbe service = {SERVICE}")

    sleep = ctr["lifecycle"]["preStop"]["sleep"]["seconds"]
    grace = parse_duration(cm["STANCE_SHUTDOWN_GRACE"])
    tgps = pod["terminationGracePeriodSeconds"]
    c.check(tgps > sleep + grace, "terminationGracePeriodSeconds > preStop sleep + STANCE_SHUTDOWN_GRACE",
            f"{tgps} > {sleep} + {grace:g}")
    c.check(parse_duration(cm["STANCE_REQUEST_TIMEOUT"]) < grace, "STANCE_REQUEST_TIMEOUT < STANCE_SHUTDOWN_GRACE")
    live = ctr["livenessProbe"]
    c.check(live["periodSeconds"] * live["failureThreshold"] > grace,
            "liveness cannot kill a draining pod (period x threshold > shutdown grace)")

    # Pod Security Standards "restricted" + read-only root filesystem.
    psc = pod["securityContext"]
    c.check(psc.get("runAsNonRoot") is True and psc.get("seccompProfile", {}).get("type") == "RuntimeDefault",
            "pod securityContext: runAsNonRoot, seccomp RuntimeDefault")
    for x in pod.get("initContainers", []) + pod["containers"]:
        sc = x.get("securityContext", {})
        c.check(sc.get("allowPrivilegeEscalation") is False and sc.get("capabilities", {}).get("drop") == ["ALL"]
                and sc.get("readOnlyRootFilesystem") is True,
                f"container {x['name']}: no privilege escalation, drop ALL, read-only root")
        r = x.get("resources", {})
        c.check(all(k in r.get("requests", {}) and k in r.get("limits", {}) for k in ("cpu", "memory")),
                f"container {x['name']}: cpu/memory requests and limits")
    c.check(pod.get("automountServiceAccountToken") is False, "no service account token in the pod")
    sa = res[("ServiceAccount", pod["serviceAccountName"])]
    c.check(sa.get("automountServiceAccountToken") is False, "ServiceAccount automountServiceAccountToken false")

    # Writable paths the server uses live on writable mounts; the model on a mount.
    mounts = ctr["volumeMounts"]

    def mount_for(path: str):
        best = None
        for m in mounts:
            mp = m["mountPath"].rstrip("/")
            if (path == mp or path.startswith(mp + "/")) and (best is None or len(mp) > len(best["mountPath"])):
                best = m
        return best

    m = mount_for(cm["STANCE_MODEL_PATH"])
    c.check(m is not None, "STANCE_MODEL_PATH is on a volume", cm["STANCE_MODEL_PATH"])
    fb = next((e["value"] for e in ctr["env"] if e["name"] == "STANCE_FEEDBACK_DIR"), None)
    if fb is not None:
        m = mount_for(fb.replace("$(POD_NAME)", POD_NAME))
        c.check(m is not None and not m.get("readOnly", False), "STANCE_FEEDBACK_DIR is on a writable volume", fb)
    c.check(mount_for("/tmp") is not None, "/tmp is a volume (emptyDir) under the read-only root")

    # Services, HPA, PDB, NetworkPolicy agree with the pod.
    for name in ("stance-server", "stance-server-headless"):
        svc = res[("Service", name)]
        c.check(selects({"matchLabels": svc["spec"]["selector"]}, labels)
                and all(p.get("appProtocol") == "grpc" and p["targetPort"] in ("grpc", ports["grpc"])
                        for p in svc["spec"]["ports"]),
                f"Service {name} selects the pods, appProtocol grpc, targetPort grpc")
    c.check(res[("Service", "stance-server-headless")]["spec"].get("clusterIP") == "None", "headless Service")
    hpa = find(res, "HorizontalPodAutoscaler", "stance-server")
    c.check(hpa["apiVersion"] == "autoscaling/v2" and hpa["spec"]["scaleTargetRef"]["name"] == dep["metadata"]["name"],
            "HPA autoscaling/v2 targets the Deployment")
    pdb = find(res, "PodDisruptionBudget", "stance-server")
    c.check(selects(pdb["spec"]["selector"], labels), "PDB selects the pods")
    np_ = find(res, "NetworkPolicy", "stance-server")
    c.check(selects(np_["spec"]["podSelector"], labels)
            and any(p["port"] in ("grpc", ports["grpc"]) for r in np_["spec"]["ingress"] for p in r.get("ports", [])),
            "NetworkPolicy selects the pods and admits the grpc port")

    # The trainer-image paths the manifests and this test use are what the Dockerfile installs.
    copies = {}
    for line in (ROOT / "deploy/docker/Dockerfile").read_text().splitlines():
        words = [w for w in line.split() if not w.startswith("--")]
        if words[:1] == ["COPY"] and "--from=" not in line:
            copies[words[-1].rstrip("/")] = (ROOT / words[-2]).resolve()
    for dest, src in IMAGE_FILES.items():
        c.check(copies.get(dest) == src.resolve(), f"Dockerfile installs {src.relative_to(ROOT)} at {dest}")

    cj = find(res, "CronJob", "stance-retrain")
    s = cj["spec"]
    c.check(s["concurrencyPolicy"] == "Forbid" and "startingDeadlineSeconds" in s
            and "activeDeadlineSeconds" in s["jobTemplate"]["spec"]
            and "successfulJobsHistoryLimit" in s and "failedJobsHistoryLimit" in s,
            "CronJob: Forbid, starting and active deadlines, history limits")
    jpod = s["jobTemplate"]["spec"]["template"]["spec"]
    jclaim = {v["persistentVolumeClaim"]["claimName"] for v in jpod["volumes"] if "persistentVolumeClaim" in v}
    sclaim = {v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v}
    c.check(jclaim == sclaim and len(jclaim) == 1, "CronJob writes the PVC the servers read", str(jclaim))
    c.check(("PersistentVolumeClaim", next(iter(sclaim))) in res, "the PVC is part of the overlay")


# --- pod emulation ---------------------------------------------------------------------------


class Pod:
    """Volume directories and path rewriting for one emulated pod."""

    def __init__(self, tmp: Path, pod_spec: dict) -> None:
        self.tmp = tmp
        self.volumes = {}
        for v in pod_spec["volumes"]:
            d = tmp / "volumes" / v["name"]
            d.mkdir(parents=True, exist_ok=True)
            self.volumes[v["name"]] = d

    def mapping(self, container: dict, extra: dict[str, Path]) -> list[tuple[str, Path]]:
        pairs = [(k, Path(v)) for k, v in extra.items()]
        for m in container.get("volumeMounts", []):
            host = self.volumes[m["name"]] / m.get("subPath", "")
            host.mkdir(parents=True, exist_ok=True)
            pairs.append((m["mountPath"].rstrip("/"), host))
        return sorted(pairs, key=lambda p: -len(p[0]))

    @staticmethod
    def rewrite(value: str, pairs: list[tuple[str, Path]]) -> str:
        for src, dst in pairs:
            if value == src or value.startswith(src + "/"):
                return str(dst) + value[len(src):]
        return value

    def env(self, container: dict, configmaps: dict, pairs) -> tuple[dict[str, str], list[str]]:
        """The env kubelet gives the container (envFrom first, then env), paths rewritten."""
        notes = []
        env: dict[str, str] = {}
        for src in container.get("envFrom", []):
            data = configmaps[src["configMapRef"]["name"]]
            for k, v in data.items():
                env[src.get("prefix", "") + k] = v
        for e in container.get("env", []):
            if "value" in e:
                # $(VAR) refers to variables defined earlier; $$ escapes.
                val = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                             lambda mo: env.get(mo.group(1), mo.group(0)), e["value"])
            elif "fieldRef" in e["valueFrom"]:
                assert e["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name", e
                val = POD_NAME
            elif "secretKeyRef" in e["valueFrom"]:
                ref = e["valueFrom"]["secretKeyRef"]
                val = TEST_API_KEY
                notes.append(f"{e['name']} from Secret {ref['name']}/{ref['key']} = a test value")
            else:
                raise SystemExit(f"unsupported env source {e}")
            env[e["name"]] = val
        out = {}
        for k, v in env.items():
            nv = self.rewrite(v, pairs)
            if nv != v:
                notes.append(f"{k}: {v} -> {nv}")
            out[k] = nv
        base = {"PATH": "/usr/bin:/bin", "HOME": str(self.tmp / "home"), "HOSTNAME": POD_NAME}
        (self.tmp / "home").mkdir(exist_ok=True)
        return {**base, **out}, notes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_script_container(pod: Pod, ctr: dict, configmaps: dict, trainer: Path, default_model: Path,
                         c: Checks, what: str, timeout: float) -> subprocess.CompletedProcess | None:
    """Runs an initContainer / Job container of the trainer image: /busybox/sh SCRIPT."""
    cmd = ctr["command"] + ctr.get("args", [])
    if cmd[0] != "/busybox/sh" or cmd[1] not in IMAGE_FILES:
        c.check(False, f"{what}: command understood", str(cmd))
        return None
    pairs = pod.mapping(ctr, {k: v for k, v in IMAGE_FILES.items()})
    env, notes = pod.env(ctr, configmaps, pairs)
    # The scripts' defaults point into the trainer image; map them to the same files here.
    env.setdefault("STANCE_CORPUS", str(ROOT / "training/data"))
    env["STANCE_DEFAULT_MODEL"] = str(default_model)
    env["STANCE_TRAIN"] = str(trainer)
    env["TMPDIR"] = env.get("TMPDIR", str(pod.tmp / ("tmp-" + ctr["name"])))
    Path(env["TMPDIR"]).mkdir(parents=True, exist_ok=True)
    argv = ["/bin/sh"] + [Pod.rewrite(a, pairs) for a in cmd[1:]]
    print(f"---- {what}: {' '.join(argv)}", flush=True)
    for n in notes:
        print(f"     env {n}")
    p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    for line in (p.stdout + p.stderr).splitlines()[-25:]:
        print(f"     | {line}")
    c.check(p.returncode == 0, f"{what} exits 0", f"rc={p.returncode}")
    return p


# --- gRPC ------------------------------------------------------------------------------------


def make_stubs(tmp: Path):
    from grpc_tools import protoc  # noqa: PLC0415

    out = tmp / "stubs"
    out.mkdir()
    inc = str(Path(protoc.__file__).parent / "_proto")
    rc = protoc.main(["protoc", f"-I{ROOT / 'proto'}", f"-I{inc}", f"--python_out={out}",
                      f"--grpc_python_out={out}", "stance/v1/stance.proto"])
    if rc != 0:
        raise SystemExit("grpc_tools.protoc failed on proto/stance/v1/stance.proto")
    sys.path.insert(0, str(out))
    from stance.v1 import stance_pb2, stance_pb2_grpc  # noqa: PLC0415

    return stance_pb2, stance_pb2_grpc


def proc_stats(pid: int) -> dict:
    st = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        k, _, v = line.partition(":")
        if k in ("VmRSS", "VmHWM", "Threads"):
            st[k] = v.strip()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    st["cpu_s"] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return st


def corpus_texts() -> list[str]:
    texts = []
    for f in sorted((ROOT / "training/data").glob("*.jsonl")):
        for line in f.read_text().splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts


def live(res: dict, server: Path, trainer: Path, c: Checks, keep: bool) -> None:
    import grpc  # noqa: PLC0415
    from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: PLC0415

    dep = find(res, "Deployment", "stance-server")
    pod_spec = dep["spec"]["template"]["spec"]
    ctr = next(x for x in pod_spec["containers"] if x["name"] == "stance-server")
    configmaps = {n: d.get("data", {}) for (k, n), d in res.items() if k == "ConfigMap"}
    tgps = pod_spec["terminationGracePeriodSeconds"]
    sleep = ctr["lifecycle"]["preStop"]["sleep"]["seconds"]

    tmp = Path(tempfile.mkdtemp(prefix="run-as-manifest-"))
    print(f"---- pod emulated under {tmp}", flush=True)
    pb, pb_grpc = make_stubs(tmp)
    proc = None
    try:
        # The trainer image's default model: the file the server has built in.
        default_model = IMAGE_FILES["/opt/stance/models/default.model"]
        pod = Pod(tmp, pod_spec)
        for ic in pod_spec.get("initContainers", []):
            r = run_script_container(pod, ic, configmaps, trainer, default_model, c, f"initContainer {ic['name']}", 60)
            if r is None or r.returncode != 0:
                return

        # The server container.
        pairs = pod.mapping(ctr, {})
        env, notes = pod.env(ctr, configmaps, pairs)
        grpc_port, metrics_port = free_port(), free_port()
        notes.append(f"STANCE_LISTEN: {env['STANCE_LISTEN']} -> 127.0.0.1:{grpc_port} (override: loopback, free port)")
        notes.append(f"STANCE_METRICS_LISTEN: {env['STANCE_METRICS_LISTEN']} -> 127.0.0.1:{metrics_port} (override)")
        env["STANCE_LISTEN"] = f"127.0.0.1:{grpc_port}"
        env["STANCE_METRICS_LISTEN"] = f"127.0.0.1:{metrics_port}"
        env["TMPDIR"] = Pod.rewrite("/tmp", pairs)
        argv = [str(server)] + list(ctr.get("command", [])[1:]) + list(ctr.get("args", []))
        print(f"---- stance-server: {' '.join(argv)} (container command/args: "
              f"{ctr.get('command', 'image entrypoint')} {ctr.get('args', [])})", flush=True)
        for n in notes:
            print(f"     env {n}")
        print("     env " + " ".join(f"{k}={'***' if 'KEY' in k else v}" for k, v in sorted(env.items())
                                     if k.startswith("STANCE_")))
        log = open(tmp / "server.log", "w")  # noqa: SIM115
        t_start = time.monotonic()
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)

        target = f"127.0.0.1:{grpc_port}"
        opts = [("grpc.max_send_message_length", 64 << 20), ("grpc.max_receive_message_length", 64 << 20)]
        chan = grpc.insecure_channel(target, options=opts)
        health = health_pb2_grpc.HealthStub(chan)
        stub = pb_grpc.StanceServiceStub(chan)

        # Startup probe: period 2s x threshold 30.
        sp = ctr["startupProbe"]
        budget = sp["periodSeconds"] * sp["failureThreshold"]
        status = None
        while time.monotonic() - t_start < budget and proc.poll() is None:
            try:
                status = health.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=1).status
                if status == health_pb2.HealthCheckResponse.SERVING:
                    break
            except grpc.RpcError:
                pass
            time.sleep(0.1)
        ready_s = time.monotonic() - t_start
        if not c.check(status == health_pb2.HealthCheckResponse.SERVING,
                       f"readiness: {SERVICE} SERVING within the startup probe budget ({budget}s)",
                       f"after {ready_s:.2f}s"):
            return
        st = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=2).status
        c.check(st == health_pb2.HealthCheckResponse.SERVING, 'liveness: service "" SERVING')
        idle = proc_stats(proc.pid)
        print(f"     idle: RSS {idle['VmRSS']}, threads {idle['Threads']}")

        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as r:  # noqa: S310
            body = r.read().decode()
        c.check(r.status == 200 and "# TYPE" in body, "GET /metrics on the metrics port", f"{len(body)} bytes")

        info = stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=5)
        c.check(info.model_source == "file", "serves the model file from the volume (STANCE_MODEL_PATH)",
                f"version {info.model_version}, source {info.model_source}")
        resp = stub.Classify(pb.ClassifyRequest(text="We condemn the attack on civilians in the strongest terms."),
                             timeout=5)
        c.check(resp.stance != 0 and len(resp.scores) == 4, "Classify", pb.Stance.Name(resp.stance))

        # Feedback: with the key from the Secret it is stored on the feedback volume; without, refused.
        fb_dir = Path(env["STANCE_FEEDBACK_DIR"])
        if "STANCE_FEEDBACK_API_KEY" in env:
            try:
                stub.SubmitFeedback(pb.SubmitFeedbackRequest(text="x", stance=pb.STANCE_NEUTRAL), timeout=5)
                c.check(False, "SubmitFeedback without x-api-key is refused")
            except grpc.RpcError as e:
                c.check(e.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED),
                        "SubmitFeedback without x-api-key is refused", e.code().name)
        md = [("x-api-key", env["STANCE_FEEDBACK_API_KEY"])] if "STANCE_FEEDBACK_API_KEY" in env else []
        texts = corpus_texts()
        for i, (t, s) in enumerate([("The council welcomed the ceasefire and urged all sides to keep talking.",
                                     pb.STANCE_CALL_FOR_CALM),
                                    ("We stand firmly with our ally's right to defend itself.", pb.STANCE_SUPPORT)]):
            fr = stub.SubmitFeedback(pb.SubmitFeedbackRequest(text=t, stance=s, note=f"run_as_manifest {i}"),
                                     metadata=md, timeout=5)
        files = [f for f in fb_dir.rglob("*") if f.is_file()] if fb_dir.exists() else []
        c.check(bool(fr.feedback_id) and files, "SubmitFeedback stored on the per-pod feedback volume",
                ", ".join(str(f.relative_to(tmp)) for f in files))

        # The retraining CronJob, run against the same volume while the server serves.
        before = stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=5)
        cj = find(res, "CronJob", "stance-retrain")
        jspec = cj["spec"]["jobTemplate"]["spec"]
        jpod = jspec["template"]["spec"]
        jctr = jpod["containers"][0]
        jpod_emul = Pod(tmp / "job", jpod)
        # Same PVC: point the job's PVC volume at the server pod's PVC directory.
        for v in jpod["volumes"]:
            if "persistentVolumeClaim" in v:
                sv = next(x for x in pod_spec["volumes"] if x.get("persistentVolumeClaim", {}).get("claimName")
                          == v["persistentVolumeClaim"]["claimName"])
                jpod_emul.volumes[v["name"]] = pod.volumes[sv["name"]]
        t0 = time.monotonic()
        r = run_script_container(jpod_emul, jctr, configmaps, trainer, default_model, c,
                                 "CronJob stance-retrain container", jspec["activeDeadlineSeconds"])
        c.check(r is not None and time.monotonic() - t0 < jspec["activeDeadlineSeconds"],
                "retraining finishes within activeDeadlineSeconds", f"{time.monotonic() - t0:.1f}s")
        if r is not None and r.returncode == 0:
            poll = parse_duration(env["STANCE_MODEL_POLL_INTERVAL"])
            deadline = time.monotonic() + 3 * poll + 5
            after = before
            while time.monotonic() < deadline:
                after = stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=5)
                if after.reload_successes > before.reload_successes:
                    break
                time.sleep(0.2)
            c.check(after.reload_successes > before.reload_successes and not after.last_reload_error,
                    "server hot-reloads the promoted model from the volume",
                    f"{before.model_version} -> {after.model_version}, trained on {after.training_examples} rows, "
                    f"reloads ok={after.reload_successes} failed={after.reload_failures} "
                    f"(poll interval {poll:g}s)")

        # Sizing: a short load of batches and single statements from 8 threads.
        batch = [texts[i % len(texts)] for i in range(256)]
        t0, cpu0 = time.monotonic(), proc_stats(proc.pid)["cpu_s"]
        n_req = 0

        def load_worker(k: int) -> int:
            n = 0
            end = time.monotonic() + 5
            while time.monotonic() < end:
                if k % 2:
                    stub.ClassifyBatch(pb.ClassifyBatchRequest(texts=batch), timeout=10)
                else:
                    stub.Classify(pb.ClassifyRequest(text=texts[n % len(texts)]), timeout=10)
                n += 1
            return n

        with cf.ThreadPoolExecutor(8) as ex:
            n_req = sum(ex.map(load_worker, range(8)))
        loaded = proc_stats(proc.pid)
        wall = time.monotonic() - t0
        print(f"     load: {n_req} requests in {wall:.1f}s from 8 threads (4 Classify, 4 ClassifyBatch x256); "
              f"server CPU {loaded['cpu_s'] - cpu0:.2f}s = {(loaded['cpu_s'] - cpu0) / wall:.2f} cores; "
              f"RSS {loaded['VmRSS']}, peak {loaded['VmHWM']}, threads {loaded['Threads']}")
        c.check(True, "sizing measured", f"idle RSS {idle['VmRSS']}, peak RSS {loaded['VmHWM']}")

        # SIGTERM while requests are in flight. Large batches (1024 statements just under
        # STANCE_MAX_TEXT_BYTES, about 8 MiB a request) keep each request busy for a while.
        max_text = int(env["STANCE_MAX_TEXT_BYTES"])
        max_batch = int(env["STANCE_MAX_BATCH_SIZE"])
        big = []
        for i in range(max_batch):
            parts, size, j = [], 0, 0
            while True:
                t = texts[(i * 7 + j) % len(texts)]
                if size + len(t.encode()) + 1 > max_text * 0.8:
                    break
                parts.append(t)
                size += len(t.encode()) + 1
                j += 1
            big.append(" ".join(parts))
        t0 = time.monotonic()
        stub.ClassifyBatch(pb.ClassifyBatchRequest(texts=big), timeout=30)
        one = time.monotonic() - t0
        print(f"     one ClassifyBatch of {len(big)} x ~{len(big[0].encode())} bytes takes {one * 1000:.0f} ms")

        peak = {"rss_kb": 0}
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.is_set():
                try:
                    kb = int(proc_stats(proc.pid)["VmRSS"].split()[0])
                    peak["rss_kb"] = max(peak["rss_kb"], kb)
                except (OSError, ValueError, KeyError):
                    return
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()

        watch_updates = []
        watch_call = health.Watch(health_pb2.HealthCheckRequest(service=SERVICE))

        def watch() -> None:
            try:
                for u in watch_call:
                    watch_updates.append((time.monotonic(), u.status))
                    if u.status == health_pb2.HealthCheckResponse.NOT_SERVING:
                        watch_call.cancel()  # a Watch stream would otherwise hold the drain open
                        return
            except grpc.RpcError:
                pass

        wt = threading.Thread(target=watch, daemon=True)
        wt.start()
        # Four streams send large batches back to back; SIGTERM lands at a moment when they are in
        # their steady state, so requests are in flight at it. A stream checks the stop flag after
        # taking its start time, so every request it sends started before SIGTERM.
        results = []
        lock = threading.Lock()
        stop = threading.Event()

        def stream() -> None:
            while True:
                s = time.monotonic()
                if stop.is_set():
                    return
                try:
                    stub.ClassifyBatch(pb.ClassifyBatchRequest(texts=big), timeout=30)
                    code = "OK"
                except grpc.RpcError as e:
                    code = e.code().name
                with lock:
                    results.append((s, time.monotonic(), code))

        n_streams = 4
        threads = [threading.Thread(target=stream) for _ in range(n_streams)]
        for t in threads:
            t.start()
        settle = time.monotonic() + 60
        while len(results) < n_streams and time.monotonic() < settle:
            time.sleep(0.05)
        time.sleep(one / 2)
        stop.set()
        t_term = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        for t in threads:
            t.join(timeout=tgps)
        try:
            rc = proc.wait(timeout=tgps)
        except subprocess.TimeoutExpired:
            rc = None
        exit_s = time.monotonic() - t_term
        wt.join(timeout=2)
        sampling.set()
        print(f"     RSS peak with {n_streams} streams of {len(big)}-statement batches: {peak['rss_kb'] / 1024:.1f} MiB")

        inflight = [r for r in results if r[0] < t_term < r[1]]
        ok = [r for r in inflight if r[2] == "OK"]
        failed = [r for r in results if r[2] != "OK"]
        # The server refuses, with UNAVAILABLE, a request whose handler starts after SIGTERM (one
        # still being uploaded then; it logs those), and a stream that reaches it after its GOAWAY
        # fails UNAVAILABLE in the transport. An admitted request is only ever cut off when the
        # drain outlives STANCE_SHUTDOWN_GRACE; so: failures only UNAVAILABLE, exit before the grace.
        refused = 0
        for line in (tmp / "server.log").read_text(errors="replace").splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            fields = rec.get("fields", rec)
            if fields.get("method") == "ClassifyBatch" and fields.get("code") == "UNAVAILABLE":
                refused += 1
        c.check(len(ok) >= 1, "requests in flight at SIGTERM complete OK (drain)",
                f"{len(inflight)} in flight, {len(ok)} OK, finished "
                + ", ".join(f"{r[1] - t_term:+.2f}s" for r in ok) + " after SIGTERM; "
                f"{len(results) - len(inflight)} finished before it")
        shutdown_grace = parse_duration(env["STANCE_SHUTDOWN_GRACE"])
        c.check(all(r[2] == "UNAVAILABLE" for r in failed) and rc is not None and exit_s < shutdown_grace,
                "no admitted request is dropped (failures only UNAVAILABLE, drain ended before the grace)",
                f"{len(failed)} failed {sorted({r[2] for r in failed})} (server logged {refused} refusal(s) of "
                f"requests still arriving at SIGTERM); exit {exit_s:.2f}s after SIGTERM < {shutdown_grace:g}s")
        c.check(any(s == health_pb2.HealthCheckResponse.NOT_SERVING for _, s in watch_updates),
                f"{SERVICE} turns NOT_SERVING on SIGTERM (health Watch)",
                ", ".join(f"{health_pb2.HealthCheckResponse.ServingStatus.Name(s)}@{t - t_term:+.2f}s"
                          for t, s in watch_updates))
        c.check(rc == 0, "process exits 0 after SIGTERM", f"rc={rc}")
        c.check(rc is not None and exit_s < tgps - sleep,
                "exit within terminationGracePeriodSeconds - preStop sleep",
                f"{exit_s:.2f}s < {tgps} - {sleep}")
        proc = None
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        logf = tmp / "server.log"
        if logf.exists():
            lines = logf.read_text(errors="replace").splitlines()
            print(f"---- server log: {len(lines)} lines, last 12:")
            for line in lines[-12:]:
                print(f"     | {line[:300]}")
        if keep:
            print(f"---- kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rendered", type=Path, help="rendered overlay (kubectl kustomize output)")
    ap.add_argument("--overlay", default="prod", help="overlay to render when --rendered is not given")
    ap.add_argument("--static", action="store_true", help="cross-check the manifests only")
    ap.add_argument("--server", type=Path, help="stance-server binary, e.g. target/release/stance-server")
    ap.add_argument("--trainer", type=Path, help="stance-train binary, e.g. target/release/stance-train")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (volumes, server log)")
    a = ap.parse_args()
    if a.rendered is None:
        text = subprocess.run(["kubectl", "kustomize", str(ROOT / "deploy/k8s/overlays" / a.overlay)],
                              check=True, capture_output=True, text=True).stdout
        a.rendered = Path(tempfile.mkstemp(suffix=".yaml")[1])
        a.rendered.write_text(text)
    res = load(a.rendered)
    c = Checks()
    print(f"---- static checks of {a.rendered}", flush=True)
    static_checks(res, c)
    if not a.static:
        if not (a.server and a.trainer):
            ap.error("the live run needs --server and --trainer (or pass --static)")
        for b in (a.server, a.trainer):
            if not os.access(b, os.X_OK):
                ap.error(f"{b} is not an executable; build it: cargo build --release -p stance-server -p stance-train")
        live(res, a.server.resolve(), a.trainer.resolve(), c, a.keep)
    print(f"{c.passed} passed, {c.failed} failed")
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
