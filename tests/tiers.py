"""A module-scoped fixture that runs every test of a module on both kernel tiers.

    from tiers import kernel_tier  # noqa: F401
    pytestmark = pytest.mark.usefixtures("kernel_tier")

(module-scoped so that hypothesis tests can use it: each module runs once per tier).
"""

import pytest

import minigan as mg


@pytest.fixture(scope="module", params=["fast", "textbook"])
def kernel_tier(request):
    previous = mg.set_kernels(request.param)
    yield request.param
    mg.set_kernels(previous)
