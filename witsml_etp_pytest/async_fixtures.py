"""The plugin's async fixtures, registered when pytest-asyncio is active (strict or auto mode).

They run on the event loop pytest-asyncio gives the test (the loop scope follows the project's
``asyncio_default_fixture_loop_scope``); the server itself runs on its own thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest_asyncio

if TYPE_CHECKING:
    from etp.client import Client
    from witsml_etp_pytest.server import EtpServer


@pytest_asyncio.fixture
async def etp_client(etp_server: EtpServer) -> AsyncIterator[Client]:
    """An asyncio client (:class:`etp.client.Client`) in a session with ``etp_server``."""
    async with etp_server.connect() as client:
        yield client
