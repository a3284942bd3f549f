"""grading.engine.trusted_pool: a job borrows a trusted kernel that no other job uses at the same
time; the next job gets the same kernel back (Keras imported once), and a kernel that died is
replaced."""

import threading

import pytest

from grading.engine.trusted_pool import TrustedPool

pytestmark = pytest.mark.slow


def test_kernels_are_reused_one_job_at_a_time_and_dead_ones_replaced():
    pool = TrustedPool()
    try:
        with pool.lease() as first:
            pass
        with pool.lease() as again:
            assert again == first  # the same kernel, already warm
        inside = threading.Event()
        release = threading.Event()
        seen = []

        def job():
            with pool.lease() as connection:
                seen.append(connection)
                inside.set()
                release.wait(600)

        worker = threading.Thread(target=job)
        worker.start()
        assert inside.wait(600)
        with pool.lease() as second:  # while the first kernel is lent out
            assert second != seen[0]
        release.set()
        worker.join()
        assert len(pool.idle) == 2
        old = {kernel.connection_file for kernel in pool.idle}
        for kernel in pool.idle:
            kernel.km.shutdown_kernel(now=True)
        with pool.lease() as connection:
            assert connection not in old  # a dead kernel is never lent
        assert len(pool.idle) == 1  # the new one back, the dead ones dropped
    finally:
        pool.shutdown()
    assert pool.idle == []
