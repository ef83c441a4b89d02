"""The plugin as a user's project sees it: pytest run in a subprocess on example test files."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "test_with_fixtures.py"
# plugins these runs do not need (half a second of start-up each)
UNUSED = (
    "-p",
    "no:cacheprovider",
    "-p",
    "no:hypothesispytest",
    "-p",
    "no:xdist",
    "-p",
    "no:timeout",
)


def test_the_plugin_is_registered_for_pytest() -> None:
    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins.get("witsml_etp") == "witsml_etp_pytest.plugin"


def test_loading_the_plugin_imports_none_of_the_library() -> None:
    code = (
        "import sys, witsml_etp_pytest.plugin\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'etp', 'witsml', 'numpy'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_example_runs_in_a_project_with_strict_asyncio(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        asyncio_mode = strict
        asyncio_default_fixture_loop_scope = function
        """
    )
    pytester.makepyfile(test_with_fixtures=EXAMPLE.read_text())
    result = pytester.runpytest_subprocess(*UNUSED, "-W", "error")
    result.assert_outcomes(passed=11)


def test_without_pytest_asyncio_sync_fixtures_work_and_etp_client_says_why_not(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import sys

        import pytest

        def test_nothing_is_imported_until_a_fixture_is_used():
            assert not {m.split(".")[0] for m in sys.modules} & {"etp", "witsml"}

        @pytest.mark.etp_server(samples=True)
        def test_sync_fixtures(etp_sync_client, witsml_well):
            assert list(etp_sync_client.get_data_objects([witsml_well.uri])) == [witsml_well.uri]

        def test_async_client(etp_client):
            pass

        @pytest.mark.etp_server(True)
        def test_marker_with_positional_arguments(etp_server):
            pass
        """
    )
    result = pytester.runpytest_subprocess(*UNUSED, "-p", "no:asyncio")
    result.assert_outcomes(passed=2, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*etp_client is an async fixture and needs pytest-asyncio (pip install "
            "pytest-asyncio); sync tests use etp_sync_client*",
            "*@pytest.mark.etp_server takes keywords only, not (True,)*",
        ]
    )


def test_auto_mode_session_loops_and_overridden_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        asyncio_mode = auto
        asyncio_default_fixture_loop_scope = session
        asyncio_default_test_loop_scope = session
        """
    )
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def witsml_fresh_uuids():
            return False

        @pytest.fixture
        def witsml_seed():
            return 3
        """
    )
    pytester.makepyfile(
        """
        import pytest

        from etp.simulator.objects import object_uuid

        async def test_one(etp_client, etp_store, witsml_well):
            assert witsml_well.uuid == object_uuid(3, "well")
            etp_store.put(witsml_well)
            assert list(await etp_client.get_data_objects([witsml_well.uri]))

        async def test_two_gets_its_own_server(etp_client, etp_store):
            assert etp_store.uris() == []
            assert await etp_client.ping() >= 0

        @pytest.mark.parametrize("witsml_seed", [4])
        def test_parametrized_seed(witsml_seed, witsml_well):
            assert witsml_well.uuid == object_uuid(4, "well")
        """
    )
    result = pytester.runpytest_subprocess(*UNUSED, "-W", "error")
    result.assert_outcomes(passed=3)


def test_loaded_by_hand_when_plugins_do_not_load_themselves(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With PYTEST_DISABLE_PLUGIN_AUTOLOAD both plugins are named by module: the async fixtures
    must still find pytest-asyncio (a regression: it was looked up by its entry point name)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.asyncio
        async def test_async_client(etp_client):
            assert await etp_client.ping() >= 0
        """
    )
    plugins = ("-p", "witsml_etp_pytest.plugin", "-p", "pytest_asyncio.plugin")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *plugins, "-W", "error")
    result.assert_outcomes(passed=1)
