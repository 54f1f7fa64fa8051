"""The shipped scenario JSON Schema is current and accepts every bundled scenario."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

from emulators.app import SERVICES, default_scenario_path
from emulators.core.scenario import schema_text

SHIPPED = Path(str(resources.files("emulators").joinpath("schema/scenario.schema.json")))
BUNDLED = sorted(default_scenario_path().parent.glob("*.yaml"))


def test_the_shipped_schema_is_the_generated_one():
    generated = schema_text({s.name: s.section for s in SERVICES})
    assert SHIPPED.read_text(encoding="utf-8") == generated, "run: transfer-emulators schema > " + str(
        SHIPPED.relative_to(SHIPPED.parents[2])
    )


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_every_bundled_scenario_validates_against_the_schema(path: Path):
    schema = json.loads(SHIPPED.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(document)]
    assert errors == []


def test_the_schema_rejects_an_unknown_key():
    schema = json.loads(SHIPPED.read_text(encoding="utf-8"))
    assert not jsonschema.Draft202012Validator(schema).is_valid({"version": 1, "sed": 3})
