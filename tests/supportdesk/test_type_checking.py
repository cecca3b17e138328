"""`make lint` type-checks the domain layer with mypy and django-stubs (`[tool.mypy]` in
pyproject.toml). These tests keep that check wired in: the lint target runs mypy with the
Django plugin, over every app's services, selectors and rules."""

from __future__ import annotations

import tomllib
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _mypy_config() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["tool"]["mypy"]


def _checked_files() -> set[Path]:
    return {path for pattern in _mypy_config()["files"] for path in ROOT.glob(pattern)}


def test_make_lint_runs_mypy():
    makefile = (ROOT / "Makefile").read_text()
    lint_recipe = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "$(BIN)/mypy" in lint_recipe


def test_mypy_reads_the_models_through_the_django_plugin():
    assert "mypy_django_plugin.main" in _mypy_config()["plugins"]


def test_every_service_selector_and_rules_module_is_checked():
    domain = {
        path
        for pattern in ("*/services.py", "*/services/*.py", "*/selectors.py", "*/rules.py")
        for path in ROOT.glob(pattern)
    }
    assert len(domain) > 20  # every app has some: the patterns still match the layout
    assert domain <= _checked_files()
