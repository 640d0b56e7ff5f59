"""Kubernetes tier: the generated manifests render, validate, pass checkov, and drive the real image.

No API server runs on these machines, so the proof has three layers:
1. render and validate: `kubectl kustomize`, `kubernetes-validate --strict` against the oldest
   and the newest Kubernetes the template supports, checkov with no failed check, and every
   field of the restricted Pod Security Standard asserted;
2. replay: the rendered Deployment's pod runs in the Docker engine the way the kubelet would
   run it (user, read-only root, emptyDir as tmpfs, capabilities, no-new-privileges, memory
   limit, env with downward-API and Secret values resolved), its probes run exactly as
   declared, then the termination sequence: preStop, SIGTERM with a request in flight;
3. bad input to the option: off means no deploy/, and every slug the pre-generation hook
   accepts is a valid Kubernetes name and label value.
"""

from __future__ import annotations

import http.client
import json
import math
import re
import secrets
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from cookiecutter.exceptions import FailedHookException
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import DEFAULT_VARIANTS, Image, Images, Scratch, docker, slow_get, worker_pids
from helpers import (
    FRAMEWORKS,
    FRAMEWORKS_DIR,
    OPTIONS,
    ROOT,
    Bakery,
    framework_settings,
    newest_supported,
    pre,
    tool,
)

pytestmark = pytest.mark.kubernetes

# Kubernetes versions the manifests are validated against (and the README names): 1.30 is
# the first where the kubelet's own `sleep` preStop action is on by default.
KUBERNETES_OLDEST = "1.30.0"
KUBERNETES_NEWEST = "1.37.0"
BASE = "deploy/kubernetes"
# checkov checks the manifests skip inline (annotations), with the reason next to each: these
# in the shared deployment.yaml, and a framework's own in its _frameworks/ deployment.yaml.
CHECKOV_SKIPS = {"CKV_K8S_11", "CKV_K8S_43"}
CHECKOV_SKIP_RE = re.compile(r'checkov\.io/skip\d+: "(CKV_K8S_\d+)=')


def framework_checkov_skips(framework: str) -> set[str]:
    own = FRAMEWORKS_DIR / framework / BASE / "deployment.yaml"
    return set(CHECKOV_SKIP_RE.findall(own.read_text(encoding="utf-8"))) if own.is_file() else set()


APP_UID = 10001  # the Dockerfile's USER
# Volume types the restricted Pod Security Standard allows
# (kubernetes.io/docs/concepts/security/pod-security-standards).
RESTRICTED_VOLUME_TYPES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
    "persistentVolumeClaim", "projected", "secret",
}  # fmt: skip
STOP_MARGIN = 2  # seconds the process may take to exit after draining
DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")  # Service names
DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")  # namespaces, container names
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")


# ---- quantities and rendering -----------------------------------------------------------------

SUFFIXES = {
    "m": Decimal("0.001"), "": Decimal(1), "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9),
    "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30),
}  # fmt: skip


def quantity(text: str | int) -> Decimal:
    """A Kubernetes resource quantity ("250m", "128Mi", "1") as a number."""
    number, suffix = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(text)).groups()
    return Decimal(number) * SUFFIXES[suffix]


def render(project: Path) -> list[dict]:
    result = subprocess.run(
        [tool("kubectl"), "kustomize", BASE], cwd=project, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    (project / "rendered.yaml").write_text(result.stdout, encoding="utf-8")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def one(docs: list[dict], kind: str) -> dict:
    [found] = [doc for doc in docs if doc["kind"] == kind]
    return found


def pod_of(docs: list[dict]) -> dict:
    return one(docs, "Deployment")["spec"]["template"]["spec"]


def container_of(docs: list[dict]) -> dict:
    [container] = pod_of(docs)["containers"]
    return container


@dataclass
class Rendered:
    framework: str
    project: Path
    docs: list[dict]


@pytest.fixture(scope="module", params=FRAMEWORKS)
def rendered(
    request: pytest.FixtureRequest, bakery: Bakery, tmp_path_factory: pytest.TempPathFactory
) -> Rendered:
    """The framework's project at its newest Python, its base rendered: a copy of the session's
    bake, since rendering writes rendered.yaml into it (and the CI job's test removes that file
    and runs the steps that write it again)."""
    framework = request.param
    output = tmp_path_factory.mktemp(f"k8s-{framework}")
    project = bakery.copy(output, framework=framework, python_version=newest_supported(framework))
    return Rendered(framework, project, render(project))


# ---- layer 1: render, validate, lint ----------------------------------------------------------


@pytest.mark.parametrize("version", [KUBERNETES_OLDEST, KUBERNETES_NEWEST])
def test_rendered_manifests_validate_strictly(rendered: Rendered, version: str) -> None:
    result = subprocess.run(
        [tool("kubernetes-validate"), "--strict", "--kubernetes-version", version, "rendered.yaml"],
        cwd=rendered.project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    kinds = {doc["kind"] for doc in rendered.docs}
    assert kinds == {
        "Namespace", "ServiceAccount", "Deployment", "Service",
        "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy",
    }  # fmt: skip
    assert re.findall(rf"passed for resource .* against version {version[:4]}", result.stdout), result.stdout


def test_checkov_finds_nothing_but_the_documented_skips(rendered: Rendered) -> None:
    checkov = ROOT / ".venv" / "tools" / "checkov" / "bin" / "checkov"
    if not checkov.exists():
        pytest.fail("checkov is not installed; run the suite with tests/run")
    result = subprocess.run(
        [str(checkov), "--framework=kubernetes", "--skip-download", "--output=json", "--file=rendered.yaml"],
        cwd=rendered.project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout)
    failed = [
        f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in report["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(failed)
    assert report["summary"]["passed"] > 50, report["summary"]
    skipped = {c["check_id"] for c in report["results"]["skipped_checks"]}
    expected = CHECKOV_SKIPS | framework_checkov_skips(rendered.framework)
    assert skipped == expected
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for check in expected:  # the template README lists every skip with its reason
        assert check in readme, check


def test_pod_meets_the_restricted_pod_security_standard(rendered: Rendered) -> None:
    pod = pod_of(rendered.docs)
    for field in ("hostNetwork", "hostPID", "hostIPC"):  # the host's namespaces stay closed
        assert pod.get(field, False) is False, field
    context = pod["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["runAsUser"] == context["runAsGroup"] == APP_UID
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert "sysctls" not in context
    for volume in pod["volumes"]:
        assert set(volume) - {"name"} <= RESTRICTED_VOLUME_TYPES, volume
    for container in pod["containers"] + pod.get("initContainers", []):
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"] == {"drop": ["ALL"]}  # and nothing added
        assert security["runAsNonRoot"] is True
        assert security["readOnlyRootFilesystem"] is True
        assert security["seccompProfile"] == {"type": "RuntimeDefault"}
        assert security.get("privileged", False) is False
        assert security["runAsUser"] == APP_UID
        assert all("hostPort" not in port for port in container["ports"])
    namespace = one(rendered.docs, "Namespace")["metadata"]["labels"]
    assert namespace["pod-security.kubernetes.io/enforce"] == "restricted"


def test_objects_fit_together(rendered: Rendered) -> None:
    """Selectors find the pods, names and ports agree, and the numbers keep their promises."""
    docs, slug = rendered.docs, rendered.project.name
    deployment = one(docs, "Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector == {"app.kubernetes.io/name": slug}
    assert selector.items() <= pod_labels.items()
    assert one(docs, "Service")["spec"]["selector"].items() <= pod_labels.items()
    assert one(docs, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert one(docs, "NetworkPolicy")["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    for doc in docs:
        assert doc["metadata"]["name"] == slug
        assert doc["kind"] == "Namespace" or doc["metadata"]["namespace"] == slug
        labels = doc["metadata"]["labels"]
        assert {"app.kubernetes.io/name", "app.kubernetes.io/part-of", "app.kubernetes.io/managed-by"} <= set(
            labels
        )

    # Image: the kustomization's tag, so CI can set it; never "latest".
    container = container_of(docs)
    assert container["image"] == f"{slug}:0.1.0"
    [port] = container["ports"]
    assert port == {"name": "http", "containerPort": int(OPTIONS["port"]), "protocol": "TCP"}
    assert one(docs, "Service")["spec"]["ports"][0]["targetPort"] == "http"
    assert one(docs, "ServiceAccount")["automountServiceAccountToken"] is False
    assert pod_of(docs)["automountServiceAccountToken"] is False

    # Replicas belong to the HPA (at least 2); a rolling update never lowers capacity.
    spec = deployment["spec"]
    assert "replicas" not in spec
    hpa = one(docs, "HorizontalPodAutoscaler")["spec"]
    assert hpa["minReplicas"] == 2 and hpa["maxReplicas"] > 2
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": slug}
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert one(docs, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1
    spread = pod_of(docs)["topologySpreadConstraints"]
    assert "kubernetes.io/hostname" in {constraint["topologyKey"] for constraint in spread}

    # Resources: requests for both, a memory limit, no CPU limit (skipped in checkov, explained).
    resources = container["resources"]
    assert set(resources["requests"]) == {"cpu", "memory"}
    assert set(resources["limits"]) == {"memory"}
    assert quantity(resources["limits"]["memory"]) >= quantity(resources["requests"]["memory"])

    # Stop: preStop, then SIGTERM and GRACEFUL_TIMEOUT, all inside the grace period.
    env = {item["name"]: item for item in container["env"]}
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    graceful = int(env["GRACEFUL_TIMEOUT"]["value"])
    assert pod_of(docs)["terminationGracePeriodSeconds"] >= pre_stop + graceful + STOP_MARGIN
    assert env["PORT"]["value"] == OPTIONS["port"]

    # The only writable path is a size-capped emptyDir on /tmp.
    [volume] = pod_of(docs)["volumes"]
    assert volume["emptyDir"]["sizeLimit"]
    assert container["volumeMounts"] == [{"name": volume["name"], "mountPath": "/tmp"}]


def test_worker_count_comes_from_the_pods_cpu_request(rendered: Rendered) -> None:
    env = {item["name"]: item for item in container_of(rendered.docs)["env"]}
    field = env["WEB_CONCURRENCY"]["valueFrom"]["resourceFieldRef"]
    assert field["resource"] == "requests.cpu"
    assert quantity(field["divisor"]) == 1


def test_secrets_come_from_a_secret_the_readme_creates_and_none_is_committed(rendered: Rendered) -> None:
    kinds = {doc["kind"] for doc in rendered.docs}
    assert "Secret" not in kinds
    container = container_of(rendered.docs)
    readme = (rendered.project / "README.md").read_text(encoding="utf-8")
    # What the README tells the user to put in a Secret reaches the pod only through a secretKeyRef,
    # and no variable that names a secret carries a literal value in the manifest.
    created = set(re.findall(r"--from-literal=([\w.-]+)=", readme))
    assert created == {secret_ref(item)[1] for item in secret_env(container)}
    for item in container["env"]:
        if re.search(r"SECRET|PASSWORD|TOKEN|_KEY\b", item["name"]):
            assert "secretKeyRef" in item.get("valueFrom", {}), f"{item['name']} is not from a Secret"
    for item in secret_env(container):
        name, key = secret_ref(item)
        assert (
            name == rendered.project.name
            and item["valueFrom"]["secretKeyRef"].get("optional", False) is False
        )
        assert f"kubectl create secret generic {name}" in readme
        assert f"--from-literal={key}=" in readme
    # Settings the framework documents and the Deployment sets have a value (for SQLite in each
    # pod's /tmp, RUN_MIGRATIONS=1 migrates every pod; the README names the Job for a shared one).
    env = {item["name"]: item for item in container["env"]}
    for setting in framework_settings(rendered.framework) & set(env):
        assert "valueFrom" in env[setting] or env[setting]["value"], setting
    if "RUN_MIGRATIONS" in env:
        assert env["RUN_MIGRATIONS"]["value"] == "1"


def test_generated_readme_gives_the_kubernetes_commands(rendered: Rendered) -> None:
    readme = (rendered.project / "README.md").read_text(encoding="utf-8")
    slug = rendered.project.name
    for command in (
        f"kustomize edit set image {slug}=",
        "kubectl apply -k deploy/kubernetes",
        f"kubectl -n {slug} rollout status deployment/{slug}",
        f"kubectl -n {slug} port-forward service/{slug}",
        "curl http://127.0.0.1:",
    ):
        assert command in readme, command


def test_the_generated_ci_job_renders_and_validates_like_this_suite(rendered: Rendered) -> None:
    """The workflow's manifest job installs the tools this suite pins, checks the same two
    Kubernetes versions, and its steps pass when run here as written."""
    workflow = yaml.safe_load(
        (rendered.project / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    )
    runs = [step["run"] for step in workflow["jobs"]["manifests"]["steps"] if "run" in step]
    install, *checks = runs
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for pin in re.findall(r"\S+==\S+", install):
        assert f'"{pin}"' in pyproject, f"{pin} differs from the suite's pin"
    versions = re.findall(r"\b1\.\d+\.\d+\b", checks[-1])
    assert versions == [KUBERNETES_OLDEST, KUBERNETES_NEWEST]
    (rendered.project / "rendered.yaml").unlink()
    path = f"{Path(tool('kubectl')).parent}:{Path(tool('kubernetes-validate')).parent}:/usr/bin:/bin"
    for command in checks:
        result = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", command],
            cwd=rendered.project,
            env={"PATH": path, "HOME": str(rendered.project)},
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}{result.stderr}"
    assert (rendered.project / "rendered.yaml").stat().st_size > 1000


# ---- layer 3: the option's inputs -------------------------------------------------------------


def test_option_off_leaves_no_deploy_directory(baked) -> None:
    project = baked(include_kubernetes="no")
    assert not (project / "deploy").exists()
    assert "kubectl" not in (project / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("port", ["0", "65536", "-1", "80a", "8000 "])
def test_a_bad_port_never_reaches_a_manifest(port: str) -> None:
    with pytest.raises(pre.Invalid, match="port"):
        pre.check_port(port)


@pytest.mark.parametrize("slug", ["Acme", "1acme", "acme_service", "acme--service", "-acme", "a" * 64])
def test_a_bad_slug_never_reaches_a_manifest(slug: str) -> None:
    with pytest.raises(pre.Invalid, match="project_slug"):
        pre.check_slug(slug)


@pytest.mark.parametrize("slug", sorted(pre.RESERVED_NAMESPACES))
def test_a_namespace_kubernetes_owns_is_refused_only_with_the_option_on(slug: str, refuse, baked) -> None:
    with pytest.raises(pre.Invalid, match="namespace Kubernetes owns"):
        pre.check_namespace(slug)
    answers = {"project_slug": slug}
    assert isinstance(refuse(**answers).exception, FailedHookException)
    assert (baked(**answers, include_kubernetes="no") / "Dockerfile").is_file()


@settings(max_examples=300, deadline=None)
@given(st.from_regex(pre.SLUG_RE, fullmatch=True))
def test_every_slug_the_hook_accepts_is_a_valid_kubernetes_name(slug: str) -> None:
    try:
        pre.check_slug(slug)
    except pre.Invalid:
        return  # refused before any file is written
    assert len(slug) <= 63
    assert DNS1035_LABEL.fullmatch(slug)  # Service names are the strictest
    assert DNS1123_LABEL.fullmatch(slug)
    assert LABEL_VALUE.fullmatch(slug)


def test_the_longest_accepted_slug_and_edge_ports_render_valid_manifests(bake) -> None:
    slug = "a" + "-b" * 31  # 63 characters
    pre.check_slug(slug)
    for port in ("1", "65535"):
        project = bake(project_slug=slug, port=port)
        docs = render(project)
        assert container_of(docs)["ports"][0]["containerPort"] == int(port)
        result = subprocess.run(
            [
                tool("kubernetes-validate"),
                "--strict",
                "--kubernetes-version",
                KUBERNETES_NEWEST,
                "rendered.yaml",
            ],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr


# ---- layer 2: the manifest drives the container -----------------------------------------------


def secret_env(container: dict) -> list[dict]:
    """The container's variables that come from a Secret."""
    return [item for item in container.get("env", []) if "secretKeyRef" in item.get("valueFrom", {})]


def secret_ref(item: dict) -> tuple[str, str]:
    ref = item["valueFrom"]["secretKeyRef"]
    return ref["name"], ref["key"]


def resolve_env(container: dict, secret_values: dict[tuple[str, str], str]) -> dict[str, str]:
    """The environment the kubelet would give the container: values, downward API, Secrets."""
    env = {}
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
            continue
        source = item["valueFrom"]
        if "resourceFieldRef" in source:  # the kubelet rounds up to a whole number of divisors
            field = source["resourceFieldRef"]
            kind, resource = field["resource"].split(".")
            amount = quantity(container["resources"][kind][resource]) / quantity(field.get("divisor", "1"))
            env[item["name"]] = str(math.ceil(amount))
        elif "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            env[item["name"]] = secret_values[(ref["name"], ref["key"])]
        else:
            pytest.fail(f"the replay does not know {source}")
    return env


def docker_run_options(pod: dict, container: dict, env: dict[str, str]) -> list[str]:
    """`docker run` options for the container as the kubelet would run it."""
    security = {**pod.get("securityContext", {}), **container["securityContext"]}
    options = ["--user", f"{security['runAsUser']}:{security['runAsGroup']}", "--no-healthcheck"]
    if security.get("readOnlyRootFilesystem"):
        options.append("--read-only")
    for capability in security["capabilities"].get("drop", []):
        options += ["--cap-drop", capability]
    if security.get("allowPrivilegeEscalation") is False:
        options += ["--security-opt", "no-new-privileges"]
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        empty_dir = volumes[mount["name"]]["emptyDir"]  # the only kind of volume the pod has
        size = int(quantity(empty_dir.get("sizeLimit", "64Mi")))
        options += ["--tmpfs", f"{mount['mountPath']}:size={size},mode=1777"]
    limits = container["resources"].get("limits", {})
    if "memory" in limits:
        options += [
            "--memory",
            str(int(quantity(limits["memory"]))),
            "--memory-swap",
            str(int(quantity(limits["memory"]))),
        ]
    if "cpu" in limits:
        options += ["--cpus", str(quantity(limits["cpu"]))]
    for name, value in env.items():
        options += ["--env", f"{name}={value}"]
    for port in container["ports"]:
        options += ["--publish", f"127.0.0.1::{port['containerPort']}"]
    return options


def probe(spec: dict, ports: dict[str, int], pod_ip_host: str) -> bool:
    """One HTTP probe as the kubelet sends it: success is a status from 200 to 399 within the timeout."""
    action = spec["httpGet"]
    port = ports[action["port"]] if isinstance(action["port"], str) else action["port"]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=spec.get("timeoutSeconds", 1))
    try:  # the kubelet's Host header is the pod IP and port
        connection.request(
            "GET", action["path"], headers={"Host": pod_ip_host, "User-Agent": "kube-probe/1.37"}
        )
        return 200 <= connection.getresponse().status < 400
    except OSError:
        return False
    finally:
        connection.close()


def run_probe_until(spec: dict, ports: dict[str, int], host: str, succeed: bool) -> tuple[bool, float]:
    """Probe every periodSeconds until successThreshold successes (True) or failureThreshold failures."""
    started = time.monotonic()
    time.sleep(spec.get("initialDelaySeconds", 0))
    successes = failures = 0
    while True:
        tick = time.monotonic()
        if probe(spec, ports, host):
            successes, failures = successes + 1, 0
            if successes >= spec.get("successThreshold", 1) and succeed:
                return True, time.monotonic() - started
        else:
            successes, failures = 0, failures + 1
            if failures >= spec.get("failureThreshold", 3):
                return False, time.monotonic() - started
        time.sleep(max(0.0, spec.get("periodSeconds", 10) - (time.monotonic() - tick)))


@pytest.mark.docker
@pytest.mark.parametrize("image", DEFAULT_VARIANTS, ids=str, indirect=True)
def test_the_pod_spec_runs_the_image_ready_and_stops_gracefully(
    image: Image, images: Images, scratch: Scratch, tmp_path: Path
) -> None:
    project = shutil.copytree(image.project, tmp_path / image.project.name)  # rendering writes into it
    docs = render(project)
    pod, container = pod_of(docs), container_of(docs)
    secret_values = {secret_ref(item): secrets.token_urlsafe(50) for item in secret_env(container)}
    env = resolve_env(container, secret_values)
    # The image plus a route only the tests add, GET /slow/<seconds>, for a request in flight.
    running = scratch.start(images.slow(image.variant).tag, *docker_run_options(pod, container, env))
    ports = {port["name"]: running.host_port(port["containerPort"]) for port in container["ports"]}
    pod_ip_host = f"10.244.1.17:{container['ports'][0]['containerPort']}"

    # Startup probe until its first success, within its budget; then readiness makes the pod Ready.
    startup = container["startupProbe"]
    started, startup_seconds = run_probe_until(startup, ports, pod_ip_host, succeed=True)
    budget = startup.get("initialDelaySeconds", 0) + startup["periodSeconds"] * startup["failureThreshold"]
    assert started, f"startup probe failed {startup['failureThreshold']} times:\n{running.logs()}"
    assert startup_seconds <= budget
    ready, _ = run_probe_until(container["readinessProbe"], ports, pod_ip_host, succeed=True)
    ready_seconds = time.monotonic() - running.started
    assert ready, running.logs()
    # Liveness and readiness keep passing over two liveness periods (never a restart).
    window = container["livenessProbe"]["periodSeconds"] * 2
    deadline = time.monotonic() + window
    while time.monotonic() < deadline:
        assert probe(container["livenessProbe"], ports, pod_ip_host), running.logs()
        assert probe(container["readinessProbe"], ports, pod_ip_host), running.logs()
        time.sleep(container["readinessProbe"]["periodSeconds"])
    if "WEB_CONCURRENCY" in env:
        assert len(worker_pids(running)) == int(env["WEB_CONCURRENCY"])

    # Termination: a request arrives, preStop sleeps while it runs, then SIGTERM; the request
    # (still in flight when SIGTERM comes) completes and the process exits 0 within the grace period.
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    grace = pod["terminationGracePeriodSeconds"]
    answer: dict = {}
    client = threading.Thread(target=slow_get, args=(ports["http"], pre_stop + 3, answer))
    client.start()
    terminating = time.monotonic()
    time.sleep(pre_stop)
    assert probe(container["livenessProbe"], ports, pod_ip_host), "stopped serving during preStop"
    docker("kill", "--signal", "TERM", running.name)
    while running.state()["Running"] and time.monotonic() - terminating < grace + 5:
        time.sleep(0.1)
    stopped_seconds = time.monotonic() - terminating
    client.join(timeout=30)
    state = running.state()
    print(
        f"{image.variant}: Ready {ready_seconds:.1f} s after start (startup probe {startup_seconds:.1f} s); "
        f"terminated {stopped_seconds:.1f} s after preStop began (grace {grace} s); "
        f"memory limit {container['resources']['limits']['memory']}; "
        f"WEB_CONCURRENCY={env.get('WEB_CONCURRENCY')}"
    )
    assert not state["Running"], f"still running {grace + 5} s after termination began"
    assert answer.get("status") == 200, (answer, running.logs())
    assert answer["body"] == {"slept": pre_stop + 3}
    assert state["ExitCode"] == 0, running.logs()
    assert state["OOMKilled"] is False
    assert stopped_seconds <= grace, f"the kubelet would have sent SIGKILL at {grace} s"
