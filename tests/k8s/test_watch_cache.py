"""The watch cache's freshness and the Reflector's list resource versions (kmodel/watchcache.py).

Translated from
- staging/src/k8s.io/apiserver/pkg/storage/cacher/watch_cache_test.go: TestWaitUntilFreshAndList,
  TestWaitUntilFreshAndListFromCache, TestWaitUntilFreshAndListTimeout (both subtests);
- staging/src/k8s.io/client-go/tools/cache/reflector_test.go: TestReflectorFullListIfTooLarge.

kmodel keeps what these tests pin down at the level of resource versions: an apiserver's cache at
some revision answers a list asking for data not older than N only once it has reached N (or fails
with "Too large resource version"), a ``resourceVersion=0`` list from whatever it holds, and the
Reflector lists first with "0", then with the last version it saw, and after a Too large answer
with "" (a consistent read). The lists' contents and the cache's indexes are left out (kmodel's
kubelet filters its pods by node itself: :func:`kmodel.watchcache.view`).
"""

from __future__ import annotations

import pytest

from kmodel.watchcache import TOO_LARGE, ListAnswer, relist_resource_version, serve_list


def test_wait_until_fresh_and_list() -> None:
    """watch_cache_test.go TestWaitUntilFreshAndList: the cache is empty (revision 0) and, in the
    background, pods are added at revisions 2, 3 and 5; ``WaitUntilFreshAndList(ctx, 5, nil)``
    returns once the cache is at 5, with resourceVersion 5 (and the three pods)."""
    answer = serve_list("5", cache_rv=0, etcd_rv=5, catch_up_by=5)
    assert answer == ListAnswer(5)
    assert answer.error == "" and not answer.from_etcd


def test_wait_until_fresh_and_list_from_cache() -> None:
    """watch_cache_test.go TestWaitUntilFreshAndListFromCache (ConsistentListFromCache on): the cache
    is empty, then a pod is added at revision 2 and a bookmark brings it to 3; a list at 3 ("a future revision:
    requires the watch cache to request a bookmark") is served from the cache at 3."""
    answer = serve_list("3", cache_rv=0, etcd_rv=3, consistent_from_cache=True, catch_up_by=3)
    assert answer == ListAnswer(3)


@pytest.mark.parametrize("consistent_from_cache", [False, True], ids=["FromStorage", "FromCache"])
def test_wait_until_fresh_and_list_timeout(consistent_from_cache: bool) -> None:
    """watch_cache_test.go TestWaitUntilFreshAndListTimeout, subtests FromStorage and FromCache:
    the cache reaches revision 3 (a pod at 2, a bookmark at 3) and the clock then steps past
    blockTimeout; ``WaitUntilFreshAndList(ctx, 4, nil)`` fails with a Timeout error whose cause is
    "Too large resource version", whether or not ConsistentListFromCache is on (the request names
    revision 4 explicitly)."""
    answer = serve_list("4", cache_rv=3, etcd_rv=4, consistent_from_cache=consistent_from_cache)
    assert answer.served_at is None
    assert answer.error == TOO_LARGE


def test_resource_version_zero_is_served_from_a_stale_cache() -> None:
    """The contrast the timeout test draws (cacher.go: a list with resourceVersion "0" is served
    from the cache without waiting for freshness): the same cache at 3 with etcd at 4 answers at
    3. That is the stale read of kubernetes issue 59848."""
    assert serve_list("0", cache_rv=3, etcd_rv=4) == ListAnswer(3)


def test_reflector_full_list_if_too_large() -> None:
    """reflector_test.go TestReflectorFullListIfTooLarge: the ListWatch answers a list with
    resourceVersion "0" at 20; a list with "20", "30" or "40" with a Timeout "Too large resource
    version" error (the three error formats of the test); a list with "" at the next of 30, 40, 50.
    One ListAndWatch and then three more relists make the list calls
    "0", "20", "", "30", "", "40", "" - the Reflector never lists with a version older than it has
    seen, and falls back to a consistent read ("") when the apiserver cannot serve it."""
    version = 30
    calls: list[str] = []
    last_sync, unavailable = "", False

    def lister(rv: str) -> tuple[str | None, bool]:
        """(the resource version of the list, or None), whether the answer was Too large."""
        nonlocal version
        calls.append(rv)
        if rv == "0":
            return "20", False
        if rv in ("20", "30", "40"):
            return None, True
        assert rv == "", rv
        served = str(version)
        version += 10
        return served, False

    def list_and_watch() -> None:
        nonlocal last_sync, unavailable
        while True:
            served, too_large = lister(relist_resource_version(last_sync, unavailable))
            if served is not None:
                last_sync, unavailable = served, False
                return
            unavailable = too_large  # setIsLastSyncResourceVersionUnavailable, then retried

    list_and_watch()
    for _ in range(3):
        list_and_watch()
    assert calls == ["0", "20", "", "30", "", "40", ""]
