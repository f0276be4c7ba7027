"""Fixtures of the claim-check tests: the bundled universe without the user's config."""
from __future__ import annotations

import pytest

from selloff.universe import load_universe


@pytest.fixture(scope="module")
def uni():
    return load_universe(include_user_config=False)
