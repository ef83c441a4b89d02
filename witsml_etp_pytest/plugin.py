"""The pytest plugin (entry point ``pytest11``, name ``witsml_etp``): WITSML objects, an ETP
server, clients and a drilling rig as fixtures. See ``docs/pytest-plugin.md``.

Loading this module costs nothing to a test run that does not use the fixtures: it imports
only pytest here; witsml, etp and numpy are imported by the fixtures that need them, and no
server starts unless a test asks for one. ``-p no:witsml_etp`` turns the plugin off.

Fixtures (function scope):

* ``witsml_well``, ``witsml_wellbore``, ``witsml_log``, ``witsml_trajectory`` (one consistent
  set: ``witsml_samples``), ``witsml_log_factory``; configured by ``witsml_seed`` (0) and
  ``witsml_fresh_uuids`` (True), fixtures to override or parametrize;
* ``etp_server`` (options: ``@pytest.mark.etp_server(...)`` or an indirect parameter),
  ``etp_store``, ``etp_sync_client``, and with pytest-asyncio ``etp_client``;
* ``etp_simulator`` (options: ``@pytest.mark.etp_simulator(...)``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from etp.sync import SyncClient
    from witsml.objects import Log, Trajectory, Well, Wellbore
    from witsml_etp_pytest.objects import LogFactory, Samples
    from witsml_etp_pytest.server import EtpServer, StoreHandle
    from witsml_etp_pytest.simulation import Simulation


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "etp_server(auth=False, samples=False, load=(), **options): how the etp_server fixture "
        "starts (JWT auth, the witsml_* sample objects stored, documents to store; options of "
        "etp.store_server.store_server)",
    )
    config.addinivalue_line(
        "markers",
        "etp_simulator(rate_hz=1.0, start_time=None, start_depth=1500.0): the etp_simulator "
        "fixture's rig",
    )
    if _asyncio_active(config):
        from witsml_etp_pytest import async_fixtures

        config.pluginmanager.register(async_fixtures, "witsml_etp_asyncio")
    else:
        config.pluginmanager.register(_WithoutAsyncio(), "witsml_etp_no_asyncio")


def _asyncio_active(config: pytest.Config) -> bool:
    """Whether pytest-asyncio is registered (by its entry point, or ``-p pytest_asyncio.plugin``
    when plugins do not load automatically)."""
    plugin = sys.modules.get("pytest_asyncio.plugin")
    return plugin is not None and config.pluginmanager.is_registered(plugin)


# --- WITSML objects ------------------------------------------------------------------------------


@pytest.fixture
def witsml_seed() -> int:
    """The simulator seed of the witsml_* objects and factory logs (override or parametrize it
    for other data: ``@pytest.mark.parametrize("witsml_seed", [1, 2])``)."""
    return 0


@pytest.fixture
def witsml_fresh_uuids() -> bool:
    """Whether the witsml_* objects get fresh uuids in every test (override it to return False
    for stable ones, derived from the seed)."""
    return True


@pytest.fixture
def witsml_samples(witsml_seed: int, witsml_fresh_uuids: bool) -> Samples:
    """Well, Wellbore, Log and Trajectory referencing each other (the witsml_* objects)."""
    from witsml_etp_pytest.objects import samples

    return samples(witsml_seed, fresh_uuids=witsml_fresh_uuids)


@pytest.fixture
def witsml_well(witsml_samples: Samples) -> Well:
    """A land well with mean sea level and kelly bushing datums."""
    return witsml_samples.well


@pytest.fixture
def witsml_wellbore(witsml_samples: Samples) -> Wellbore:
    """The wellbore of ``witsml_well`` being drilled."""
    return witsml_samples.wellbore


@pytest.fixture
def witsml_log(witsml_samples: Samples) -> Log:
    """A depth log of ``witsml_wellbore``: 24 surface drilling channels, 200 rows (0.1 m)."""
    return witsml_samples.log


@pytest.fixture
def witsml_trajectory(witsml_samples: Samples) -> Trajectory:
    """The survey of ``witsml_wellbore``: a station every 30 m down to the bit."""
    return witsml_samples.trajectory


@pytest.fixture
def witsml_log_factory(
    witsml_wellbore: Wellbore, witsml_seed: int, witsml_fresh_uuids: bool
) -> LogFactory:
    """Makes logs of ``witsml_wellbore`` to measure: ``witsml_log_factory(500, index="time",
    channels=["ROP", "WOB"], direction="decreasing", nulls=0.05)``."""
    from witsml_etp_pytest.objects import LogFactory

    return LogFactory(wellbore=witsml_wellbore, seed=witsml_seed, fresh_uuids=witsml_fresh_uuids)


# --- ETP -----------------------------------------------------------------------------------------


@pytest.fixture
def etp_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EtpServer]:
    """An ETP 1.2 store server on 127.0.0.1 over a fresh SQLite store, for this test.

    Options (``@pytest.mark.etp_server(...)``, or a dict as indirect parameter): ``auth=True``
    (JWT bearer tokens: ``etp_server.token``, ``etp_server.issue_token(...)``),
    ``samples=True`` (the test's witsml_* objects stored, the log's data as channel data),
    ``load=[...]`` (objects, documents or files to store), and any keyword of
    :func:`etp.store_server.store_server` (``limits=StoreLimits(...)``...).
    """
    from witsml_etp_pytest.server import EtpServer

    options = _options(request, "etp_server")
    samples = options.pop("samples", False)
    load = options.pop("load", ())
    server = EtpServer.start(tmp_path_factory.mktemp("etp-server"), **options)
    try:
        if samples:
            objects: Samples = request.getfixturevalue("witsml_samples")
            server.store.put(*objects)  # the log's rows become its channels' data
        if load:
            server.store.put(*load)
        yield server
    finally:
        server.close()


@pytest.fixture
def etp_store(etp_server: EtpServer) -> StoreHandle:
    """The store of ``etp_server``, blocking: ``put``, ``get``, ``uris``, ``delete``,
    ``append`` (channel data), ``run`` (the :class:`etp.store.Store` itself)."""
    return etp_server.store


@pytest.fixture
def etp_sync_client(etp_server: EtpServer) -> Iterator[SyncClient]:
    """A blocking client (:class:`etp.SyncClient`) in a session with ``etp_server``."""
    with etp_server.connect_sync() as client:
        yield client


@pytest.fixture
def etp_simulator(
    request: pytest.FixtureRequest, etp_server: EtpServer, witsml_seed: int
) -> Iterator[Simulation]:
    """A drilling rig feeding ``etp_server``: its objects are stored, ``advance(seconds)``
    pushes the new data. Options: ``@pytest.mark.etp_simulator(rate_hz=..., start_time=...,
    start_depth=...)``; the rig's seed is ``witsml_seed``."""
    from witsml_etp_pytest.simulation import Simulation

    simulation = Simulation.start(
        etp_server, seed=witsml_seed, **_options(request, "etp_simulator")
    )
    try:
        yield simulation
    finally:
        simulation.close()


def _options(request: pytest.FixtureRequest, name: str) -> dict[str, Any]:
    """A fixture's options: its marker's keywords, then its indirect parameter's (a dict)."""
    options: dict[str, Any] = {}
    marker = request.node.get_closest_marker(name)
    if marker is not None:
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.{name} takes keywords only, not {marker.args}")
        options.update(marker.kwargs)
    param = getattr(request, "param", None)
    if param is not None:
        if not isinstance(param, dict):
            raise pytest.UsageError(f"the indirect parameter of {name} must be a dict of options")
        options.update(param)
    return options


class _WithoutAsyncio:
    """Registered instead of :mod:`witsml_etp_pytest.async_fixtures` without pytest-asyncio."""

    @pytest.fixture
    def etp_client(self) -> None:
        """Unavailable: async fixtures need pytest-asyncio."""
        pytest.fail(
            "etp_client is an async fixture and needs pytest-asyncio (pip install "
            "pytest-asyncio); sync tests use etp_sync_client",
            pytrace=False,
        )
