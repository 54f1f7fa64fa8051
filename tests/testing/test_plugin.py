"""The pytest plugin, exercised the way its users meet it: test files run by pytester."""

from __future__ import annotations

import pytest
import yaml
from haralyzer import HarParser

from emulators.app import default_scenario_path

# Hypothesis's plugin is switched off in these runs: its end-of-run summary costs a second each.
INI = """\
[pytest]
addopts = --strict-markers -p no:cacheprovider -p no:hypothesispytest
filterwarnings = error
"""
JOB_HELPERS = """
from datetime import timedelta

from azure.storage.blob import generate_container_sas

from emulators.relativity.scenario import DEV_ACCOUNT_KEY

JOB_ID = "6f1c3c52-8a4f-4a0e-9d51-3a2b1c0d9e01"
JOBS = "/transfer-service/api/v2/transfer/jobs"
AUTH = {"Authorization": "Bearer relativity-dev-token"}


def job_body(now):
    sas = generate_container_sas(
        "devstoreaccount1", "small", account_key=DEV_ACCOUNT_KEY, permission="rl",
        expiry=now + timedelta(days=8),
    )
    return {
        "transferJobID": JOB_ID,
        "sourcePath": f"https://devstoreaccount1.blob.core.windows.net/small?{sas}",
        "destinationPath": "\\\\\\\\files.t001.ctus000001.r1.kcura.com\\\\T001\\\\StructuredData\\\\M1",
    }
"""


@pytest.fixture
def run(pytester: pytest.Pytester):
    """Run a test file with the plugin (loaded through its entry point) and return the outcome."""
    pytester.makeini(INI)

    def go(source: str) -> pytest.RunResult:
        pytester.makepyfile(source)
        # In a subprocess: an in-process run unloads modules it imported first (httpcore's, say),
        # and later tests in this session would then see two copies of their exception classes.
        return pytester.runpytest_subprocess()

    return go


def test_a_test_using_the_emulator_fixture_passes(run):
    result = run(
        """
        def test_health(emulator):
            health = emulator.control.health()
            assert health["status"] == "ready"
            assert health["clock"]["mode"] == "manual"
            assert emulator.client.get("/_emulator/health").status_code == 200
        """
    )
    result.assert_outcomes(passed=1)


def test_the_marker_is_declared_so_strict_markers_accepts_it(pytester: pytest.Pytester):
    pytester.makeini(INI)
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.emulator(scenario=None, scenario_text=None*"])


def test_the_marker_selects_a_bundled_scenario_by_name(run):
    bundled = sorted(p for p in default_scenario_path().parent.glob("*.yaml") if p.stem != "default")
    chosen = bundled[0] if bundled else default_scenario_path()
    name = yaml.safe_load(chosen.read_text(encoding="utf-8"))["name"]
    result = run(
        f"""
        import pytest

        @pytest.mark.emulator(scenario={chosen.stem!r})
        def test_chosen(emulator):
            assert emulator.control.health()["scenario"] == {name!r}

        @pytest.mark.emulator(scenario="default")
        def test_default(emulator):
            assert emulator.control.health()["scenario"] == "default"
        """
    )
    result.assert_outcomes(passed=2)


def test_the_marker_takes_scenario_text_and_the_closest_marker_wins(run):
    result = run(
        """
        import pytest

        pytestmark = pytest.mark.emulator(
            scenario_text="version: 1\\nname: inline\\nseed: 3\\nclock: {start: 2030-01-01T00:00:00Z}\\n",
            seed=4,
        )

        def test_module_marker(emulator):
            health = emulator.control.health()
            assert (health["scenario"], health["seed"]) == ("inline", 4)
            assert health["clock"]["now"] == "2030-01-01T00:00:00+00:00"

        @pytest.mark.emulator(seed=9)
        def test_function_marker_wins(emulator):
            health = emulator.control.health()
            assert (health["scenario"], health["seed"]) == ("inline", 9)
        """
    )
    result.assert_outcomes(passed=2)


def test_each_test_gets_a_fresh_world(run):
    result = run(
        """
        FORM = {"grant_type": "client_credentials", "client_id": "transfer-client",
                "client_secret": "transfer-secret", "scope": "SystemUserInfo"}

        def test_changes_everything(emulator):
            emulator.control.advance(3600)
            emulator.control.add_fault({"service": "relativity", "nth": 99, "action": {"status": 500}})
            token = emulator.client.post("/Relativity/Identity/connect/token", data=FORM)
            assert token.status_code == 200
            assert emulator.control.state()["services"]["relativity"]["tokens_issued"] == 3

        def test_sees_none_of_it(emulator):
            assert emulator.world.clock.now() == emulator.world.start
            assert emulator.control.faults() == []
            assert emulator.control.requests() == []
            assert emulator.control.state()["services"]["relativity"]["tokens_issued"] == 2
        """
    )
    result.assert_outcomes(passed=2)


def test_the_factory_builds_emulators_from_arguments(run):
    result = run(
        """
        def test_factory(emulator_factory):
            five = emulator_factory(seed=5)
            other = emulator_factory(scenario_text="version: 1\\nname: bare\\n")
            assert five.control.health()["seed"] == 5
            assert five.control.health()["scenario"] == "default"
            assert other.control.health()["scenario"] == "bare"
            five.control.add_fault({"action": {"status": 500}})
            assert other.control.faults() == []
        """
    )
    result.assert_outcomes(passed=1)


def test_a_5xx_caused_by_a_fault_rule_does_not_fail_the_test(run):
    result = run(
        """
        def test_fault(emulator):
            emulator.control.add_fault({"service": "relativity", "action": {"status": 500}})
            response = emulator.client.get("/transfer-service/api/v2/transfer/jobs/x")
            assert response.status_code == 500
        """
    )
    result.assert_outcomes(passed=1)


def test_a_documented_502_is_not_an_emulator_failure(run):
    result = run(
        """
        def test_mkdir_twice(emulator):
            lab = "/v0.10/operation/endpoint/aaaaaaaa-0000-4000-8000-000000000001/mkdir"
            headers = {"Authorization": "Bearer globus-dev-token"}
            body = {"DATA_TYPE": "mkdir", "path": "/~/experiments/"}
            response = emulator.client.post(lab, json=body, headers=headers)
            assert response.status_code == 502
            assert response.json()["code"] == "ExternalError.MkdirFailed.Exists"
        """
    )
    result.assert_outcomes(passed=1)


def test_an_unexpected_500_fails_the_test_at_teardown(run):
    result = run(
        """
        import pytest

        def boom(*args, **kwargs):
            raise RuntimeError("the service broke")

        def test_server_error(emulator, monkeypatch):
            monkeypatch.setattr("emulators.relativity.auth.authenticate", boom)
            with pytest.raises(RuntimeError, match="the service broke"):
                emulator.client.get("/transfer-service/api/v2/transfer/jobs/x")
            [entry] = emulator.control.requests()
            assert (entry["status"], entry["fault"]) == (500, None)
        """
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*the emulator answered 500 without a fault rule*"])


def test_emulator_server_serves_on_a_real_socket(run):
    result = run(
        JOB_HELPERS
        + """
import httpx


def test_over_the_socket(emulator_server):
    assert emulator_server.url.startswith("http://127.0.0.1:")
    health = httpx.get(emulator_server.url + "/_emulator/health")
    assert health.status_code == 200
    assert health.json()["clock"]["mode"] == "manual"
    with httpx.Client(base_url=emulator_server.url, headers=AUTH) as http:
        created = http.post(JOBS, json=job_body(emulator_server.control.now()))
        assert created.status_code == 200
        job = http.get(f"{JOBS}/{JOB_ID}")
    assert job.status_code == 200
    assert job.json()["transferStatus"] == "Queued"
    emulator_server.control.add_fault({"service": "relativity", "action": {"status": 500}})


def test_the_next_test_starts_from_a_reset(emulator_server):
    assert emulator_server.control.faults() == []
    assert emulator_server.control.state()["services"]["relativity"]["jobs"] == {}
    response = httpx.get(f"{emulator_server.url}{JOBS}/{JOB_ID}", headers=AUTH)
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404


def test_an_unexpected_500_over_the_socket_fails_at_teardown(emulator_server, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("the service broke")

    monkeypatch.setattr("emulators.relativity.auth.authenticate", boom)
    response = httpx.get(f"{emulator_server.url}{JOBS}/{JOB_ID}", headers=AUTH)
    assert response.status_code == 500
"""
    )
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of test_an_unexpected_500_over_the_socket_fails_at_teardown*"]
    )


def test_scenario_text_layers_over_a_scenario_file_in_both_fixtures(run, pytester: pytest.Pytester):
    pytester.makefile(".yaml", base="version: 1\nextends: default\nname: base\nseed: 5\n")
    pytester.makefile(".yaml", child="version: 1\nextends: base.yaml\nname: child\n")
    result = run(
        """
        import pytest

        pytestmark = pytest.mark.emulator(scenario="child.yaml", scenario_text="version: 1\\nname: over\\n")

        def test_in_process(emulator):
            health = emulator.control.health()
            assert (health["scenario"], health["seed"]) == ("over", 5)

        def test_on_a_socket(emulator_server):
            health = emulator_server.control.health()
            assert (health["scenario"], health["seed"]) == ("over", 5)

        @pytest.mark.emulator(scenario_text=None)
        def test_a_file_extending_a_relative_file_on_a_socket(emulator_server):
            assert emulator_server.control.health()["scenario"] == "child"
        """
    )
    result.assert_outcomes(passed=3)


def test_emulator_server_takes_the_markers_seed_and_clock(run):
    result = run(
        """
        import pytest

        @pytest.mark.emulator(seed=42, clock="real")
        def test_options(emulator_server):
            health = emulator_server.control.health()
            assert (health["seed"], health["clock"]["mode"]) == (42, "real")

        def test_defaults_again(emulator_server):
            health = emulator_server.control.health()
            assert (health["seed"], health["clock"]["mode"]) == (1, "manual")
        """
    )
    result.assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ('"relativity-stages"', "emulator marker: options are keywords*"),
        ('scenaro="default"', "emulator: unknown option(s) *scenaro*"),
        ('clock="realtime"', "emulator: clock must be one of *, not 'realtime'"),
        ('seed="abc"', "emulator: seed must be an integer, not 'abc'"),
        (
            'scenario="relativity-stagez"',
            "emulator: no scenario 'relativity-stagez': not a file (looked in *), nor a bundled*",
        ),
        ('scenario_text="version: 1\\nseed: x\\n"', "*<scenario>:2: seed: *"),
    ],
)
def test_a_bad_marker_fails_the_test_with_a_message_not_a_traceback(run, marker: str, message: str):
    result = run(
        f"""
        import pytest

        @pytest.mark.emulator({marker})
        def test_it(emulator):
            pass
        """
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*{message}*"])
    result.stdout.no_fnmatch_line("*Traceback*")


RELATIVE_PATHS = """
import pytest

@pytest.mark.emulator(scenario="beside.yaml")
def test_a_file_beside_the_test(emulator):
    assert emulator.control.health()["scenario"] == "beside"

@pytest.mark.emulator(scenario="shared/at-the-root.yaml")
def test_a_file_under_the_rootdir(emulator):
    assert emulator.control.health()["scenario"] == "at-the-root"

@pytest.mark.emulator(scenario=["beside.yaml", "shared/at-the-root.yaml"])
def test_both_on_a_socket(emulator_server):
    assert emulator_server.control.health()["scenario"] == "at-the-root"

def test_the_factory(emulator_factory):
    assert emulator_factory(scenario="beside.yaml").control.health()["scenario"] == "beside"
"""


@pytest.mark.parametrize("start_in", [".", "elsewhere"], ids=["rootdir", "another-directory"])
def test_relative_scenario_paths_are_found_beside_the_test_then_under_the_rootdir(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, start_in: str
):
    def scenario(name: str) -> str:
        return f"version: 1\nextends: default\nname: {name}\n"

    pytester.makeini(INI)
    suite = pytester.mkpydir("suite")
    (suite / "test_paths.py").write_text(RELATIVE_PATHS, encoding="utf-8")
    (suite / "beside.yaml").write_text(scenario("beside"), encoding="utf-8")
    (pytester.mkdir("shared") / "at-the-root.yaml").write_text(scenario("at-the-root"), encoding="utf-8")
    # Files a lookup by the current directory would find instead.
    elsewhere = pytester.mkdir("elsewhere")
    for decoy in (elsewhere / "beside.yaml", pytester.mkdir("elsewhere/shared") / "at-the-root.yaml"):
        decoy.write_text(scenario("decoy"), encoding="utf-8")
    monkeypatch.chdir(pytester.path / start_in)

    result = pytester.runpytest_subprocess(suite / "test_paths.py")

    result.assert_outcomes(passed=4)


def test_a_missing_relative_scenario_file_names_where_it_was_looked_for(run, pytester: pytest.Pytester):
    result = run(
        """
        import pytest

        @pytest.mark.emulator(scenario="nowhere.yaml")
        def test_it(emulator):
            pass
        """
    )

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [f"*emulator: no scenario 'nowhere.yaml': not a file (looked in {pytester.path}), nor*"]
    )


def test_a_failing_test_reports_its_emulators_journal_and_writes_it_as_har(pytester: pytest.Pytester):
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        def test_fails(emulator):
            emulator.client.get("/transfer-service/api/v2/transfer/jobs/6f1c3c52-8a4f-4a0e-9d51-3a2b1c0d9e01")
            assert False, "on purpose"

        def test_passes(emulator):
            emulator.client.get("/_emulator/health")
        """
    )
    folder = pytester.path / "har"
    result = pytester.runpytest_subprocess(f"--emulator-har={folder}")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*emulator 1 journal*",
            "* GET /transfer-service/api/v2/transfer/jobs/6f1c3c52-8a4f-4a0e-9d51-3a2b1c0d9e01 -> 401",
            "HAR: *test_fails-1.har",
        ]
    )
    [written] = folder.iterdir()
    assert written.name.endswith("test_fails-1.har")
    [entry] = HarParser.from_file(written).har_data["entries"]
    assert entry["response"]["status"] == 401
