"""DefaultTolerationSeconds admission, translated from
plugin/pkg/admission/defaulttolerationseconds/admission_test.go (TestForgivenessAdmission).

``apiserver.default_tolerations`` is the plugin's Admit: it appends NoExecute tolerations of
300 s for node.kubernetes.io/not-ready and node.kubernetes.io/unreachable unless the pod already
tolerates that taint.
"""

from __future__ import annotations

import pytest

from kmodel.components import apiserver
from kmodel.state import NO_EXECUTE, NO_SCHEDULE, TAINT_NOT_READY, TAINT_UNREACHABLE, Pod, Toleration
from tests.k8s.conftest import case, mkcluster


def exists(key: str, seconds: int, effect: str = NO_EXECUTE) -> Toleration:
    return Toleration(key=key, operator="Exists", effect=effect, toleration_seconds=seconds)


NOT_READY_300 = exists(TAINT_NOT_READY, 300)
UNREACHABLE_300 = exists(TAINT_UNREACHABLE, 300)
FOO_700 = Toleration(key="foo", operator="Equal", value="bar", effect=NO_SCHEDULE, toleration_seconds=700)


@pytest.mark.parametrize(
    ("name", "given", "expected"),
    [
        case(
            "pod has no tolerations, expect add tolerations for `notread:NoExecute` and `unreachable:NoExecute`",
            (),
            (NOT_READY_300, UNREACHABLE_300),
        ),
        case(
            "pod has tolerations, but none is for taint `notread:NoExecute` or `unreachable:NoExecute`, expect add "
            "tolerations for `notread:NoExecute` and `unreachable:NoExecute`",
            (FOO_700,),
            (FOO_700, NOT_READY_300, UNREACHABLE_300),
        ),
        case(
            "pod specified a toleration for taint `notReady:NoExecute`, expect add toleration for "
            "`unreachable:NoExecute`",
            (exists(TAINT_NOT_READY, 700),),
            (exists(TAINT_NOT_READY, 700), UNREACHABLE_300),
        ),
        case(
            "pod specified a toleration for taint `unreachable:NoExecute`, expect add toleration for "
            "`notReady:NoExecute`",
            (exists(TAINT_UNREACHABLE, 700),),
            (exists(TAINT_UNREACHABLE, 700), NOT_READY_300),
        ),
        case(
            "pod specified tolerations for both `notread:NoExecute` and `unreachable:NoExecute`, expect no change",
            (exists(TAINT_NOT_READY, 700), exists(TAINT_UNREACHABLE, 700)),
            (exists(TAINT_NOT_READY, 700), exists(TAINT_UNREACHABLE, 700)),
        ),
        case(
            "pod specified toleration for taint `unreachable`, expect add toleration for `notReady:NoExecute`",
            (exists(TAINT_UNREACHABLE, 700, effect=""),),
            (exists(TAINT_UNREACHABLE, 700, effect=""), NOT_READY_300),
        ),
        case(
            "pod has wildcard toleration for all kind of taints, expect no change",
            (Toleration(operator="Exists", toleration_seconds=700),),
            (Toleration(operator="Exists", toleration_seconds=700),),
        ),
    ],
)
def test_forgiveness_admission(name: str, given: tuple[Toleration, ...], expected: tuple[Toleration, ...]) -> None:
    """admission_test.go TestForgivenessAdmission, table cases named by ``name`` (the Go
    descriptions): the pod's tolerations after admission, in order."""
    admitted = apiserver.default_tolerations(Pod(name="p", tolerations=given), mkcluster())
    assert admitted.tolerations == expected
