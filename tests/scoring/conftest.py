from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import Api
from tests.factories import put_settings, settings_of


@pytest.fixture
def restore_settings(api: Api) -> Iterator[dict]:
    """The global settings are shared by every test on the stack: a test that changes them
    gets the current document and has it put back afterwards."""
    before = settings_of(api)["settings"]
    yield before
    put_settings(api, before).raise_for_status()
