"""deploy/kubernetes/: valid against the current Kubernetes API (kubernetes-validate, strict),
and consistent with the app: probes on /healthz, settings from the ConfigMap and Secret, a single
beat, autoscalers and disruption budgets that select existing workloads."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from supportdesk import settings as project_settings

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.37.0"


def manifests() -> list[tuple[str, dict]]:
    kustomization = yaml.safe_load((FOLDER / "kustomization.yaml").read_text())
    found = []
    for name in kustomization["resources"]:
        for doc in yaml.safe_load_all((FOLDER / name).read_text()):
            if doc:
                found.append((name, doc))
    return found


def by_kind(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for _, doc in manifests() if doc["kind"] == kind}


def test_kustomization_lists_every_manifest():
    listed = set(yaml.safe_load((FOLDER / "kustomization.yaml").read_text())["resources"])
    on_disk = {p.name for p in FOLDER.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk


@pytest.mark.parametrize(
    ("name", "doc"), manifests(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_manifest_is_valid_kubernetes(name, doc):
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def containers(doc: dict) -> list[dict]:
    return doc["spec"]["template"]["spec"]["containers"]


def test_web_probes_use_healthz_and_liveness_skips_the_dependencies(client, db):
    web = containers(by_kind("Deployment")["supportdesk-web"])[0]
    ready, live = web["readinessProbe"]["httpGet"], web["livenessProbe"]["httpGet"]
    assert ready["path"] == "/healthz"
    assert live["path"] == "/healthz?probe=live"
    host = {h["name"]: h["value"] for h in ready["httpHeaders"]}["Host"]
    allowed = by_kind("ConfigMap")["supportdesk-config"]["data"]["ALLOWED_HOSTS"].split(",")
    assert host in allowed
    assert client.get(live["path"], HTTP_HOST=host).status_code == 200


def test_every_setting_comes_from_the_configmap_and_secret():
    config = by_kind("ConfigMap")["supportdesk-config"]["data"]
    secret = by_kind("Secret")["supportdesk-secrets"]["stringData"]
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= set(secret)
    assert not set(config) & set(secret)
    workloads = [*by_kind("Deployment").values(), *by_kind("Job").values()]
    for workload in workloads:
        for container in containers(workload):
            refs = {next(iter(source.values()))["name"] for source in container.get("envFrom", [])}
            assert refs == {"supportdesk-config", "supportdesk-secrets"}, workload["metadata"]
    # Every variable named in the manifests is one the settings read.
    source = Path(project_settings.__file__).read_text()
    for variable in [*config, *secret]:
        assert f'"{variable}"' in source, variable


def test_one_beat_never_two_during_a_rollout():
    beat = by_kind("Deployment")["supportdesk-beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"
    assert "supportdesk-beat" not in by_kind("HorizontalPodAutoscaler")


def test_autoscalers_and_budgets_select_the_web_and_worker_deployments():
    deployments = by_kind("Deployment")
    scaled = {
        h["spec"]["scaleTargetRef"]["name"] for h in by_kind("HorizontalPodAutoscaler").values()
    }
    assert scaled == {"supportdesk-web", "supportdesk-worker"}
    for budget in by_kind("PodDisruptionBudget").values():
        selector = budget["spec"]["selector"]["matchLabels"]
        matching = [
            d
            for d in deployments.values()
            if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(matching) == 1, budget["metadata"]["name"]
        assert matching[0]["spec"]["replicas"] > budget["spec"]["minAvailable"]
    service = by_kind("Service")["supportdesk-web"]
    web_labels = deployments["supportdesk-web"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= web_labels.items()
    ingress = by_kind("Ingress")["supportdesk"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "supportdesk-web"


def test_the_migrate_job_runs_migrate():
    job = by_kind("Job")["supportdesk-migrate"]
    assert containers(job)[0]["command"] == ["python", "manage.py", "migrate", "--noinput"]
