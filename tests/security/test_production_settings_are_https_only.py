"""Issue 14: production settings by environment, checked by Django itself.

``manage.py check --deploy`` with the production template deploy/riik.env.example
(its secret filled in, as an operator must) reports nothing.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "riik.env.example"


def template_env() -> dict[str, str]:
    """The variables the template sets (comments and blank lines skipped)."""
    variables: dict[str, str] = {}
    for line in TEMPLATE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            variables[name.strip()] = value.strip()
    return variables


def check_deploy(variables: dict[str, str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        **variables,
        # Only what an operator fills in on the host, and a writable data folder.
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "RIIK_DATA_DIR": str(data_dir),
        "RIIK_KEYS_DIR": str(data_dir / "keys"),
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_production_template_passes_check_deploy_without_a_warning(tmp_path: Path) -> None:
    variables = template_env()
    assert variables["RIIK_ENVIRONMENT"] == "production"
    result = check_deploy(variables, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout, result.stdout + result.stderr


def test_the_development_default_is_what_check_deploy_warns_about(tmp_path: Path) -> None:
    variables = {**template_env(), "RIIK_ENVIRONMENT": "development"}
    result = check_deploy(variables, tmp_path)
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout, warning
