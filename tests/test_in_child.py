"""compute.in_child: the forked computation returns what a call in the caller returns, raises what it raises,
and falls back to the caller when the child cannot deliver."""
import os

import numpy as np
import pandas as pd
import pytest

from selloff.compute import in_child
from selloff.errors import DataError


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(n)
    return pd.DataFrame({"x": rng.standard_normal(n), "pid": os.getpid()})


def _fails(msg: str):
    raise DataError(msg)


def _dies():
    if os.getpid() != PARENT:
        os._exit(3)  # the child dies without a result
    return "computed in the caller"


def _unpicklable():
    return (lambda: 1) if os.getpid() != PARENT else "computed in the caller"


PARENT = os.getpid()


@pytest.mark.parametrize("enabled", [True, False])
def test_result_is_the_callers_result_and_large_results_pass_the_pipe(enabled):
    got = in_child(_frame, 200_000, enabled=enabled).result()  # ~3 MB: more than a pipe buffer
    want = _frame(200_000)
    pd.testing.assert_series_equal(got["x"], want["x"])
    assert (got["pid"].iloc[0] != PARENT) == (enabled and hasattr(os, "fork"))


def test_an_exception_in_the_child_is_raised_in_the_caller():
    with pytest.raises(DataError, match="no history"):
        in_child(_fails, "no history").result()


@pytest.mark.parametrize("fn", [_dies, _unpicklable])
def test_a_child_that_cannot_deliver_is_replaced_by_a_call_in_the_caller(fn):
    assert in_child(fn).result() == "computed in the caller"


def test_cancel_reaps_the_child():
    h = in_child(_frame, 10)
    pid = h._pid
    h.cancel()
    if pid is not None:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def _hangs():
    if os.getpid() != PARENT:
        import time
        time.sleep(60)  # a child stuck, e.g. on a lock inherited from another thread
    return "computed in the caller"


def test_a_child_that_hangs_is_stopped_and_replaced_by_a_call_in_the_caller():
    import time
    t = time.monotonic()
    assert in_child(_hangs, timeout_s=0.5).result() == "computed in the caller"
    assert time.monotonic() - t < 30


def _niceness():
    return os.nice(0)


@pytest.mark.skipif(not hasattr(os, "fork") or not hasattr(os, "nice"), reason="needs fork and os.nice")
def test_nice_lowers_the_childs_priority_only():
    mine = os.nice(0)
    assert in_child(_niceness, nice=5).result() == min(mine + 5, 19)
    assert in_child(_niceness).result() == mine
    assert os.nice(0) == mine  # the caller's own priority is untouched
