"""The layer order of docs/architecture.md is enforced: `make lint` runs lint-imports with the
contract in pyproject.toml. These tests run it on a copy of the code, unchanged (kept) and with
one import against the order added (broken), so a contract that stopped checking anything
would fail here."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _config() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["tool"]["importlinter"]


@pytest.fixture
def code_copy(tmp_path):
    """The apps' Python files and pyproject.toml, copied so a test can add a module."""
    for package in _config()["root_packages"]:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "templates", "static", "*.html"),
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint_imports(where: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=where,
        env={"PYTHONPATH": str(where), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_every_app_is_in_a_layer():
    config = _config()
    layered = {
        app.strip()
        for contract in config["contracts"]
        for layer in contract["layers"]
        for app in layer.replace("|", ":").split(":")
    }
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert apps <= set(config["root_packages"]) == layered


def test_the_code_keeps_the_layer_order(code_copy):
    result = _lint_imports(code_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "message"),
    [
        (
            "supportdesk/layer_probe.py",
            "from tickets.models import SupportRequest\n",
            "supportdesk is not allowed to import tickets",
        ),
        (
            "accounts/layer_probe.py",
            "import incidents.services\n",
            "accounts is not allowed to import incidents",
        ),
        (
            "incidents/layer_probe.py",
            "def later():\n    from availability.models import MaintenanceWindow\n",
            "incidents is not allowed to import availability",
        ),
    ],
)
def test_an_import_against_the_order_fails_the_lint(code_copy, module, line, message):
    (code_copy / module).write_text(line)
    result = _lint_imports(code_copy)
    assert result.returncode != 0
    assert message in result.stdout
