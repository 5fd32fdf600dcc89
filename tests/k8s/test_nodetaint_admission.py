"""NodeTaint admission ("TaintNodesAtCreation"), translated from
plugin/pkg/admission/nodetaint/admission_test.go (Test_nodeTaints).

The plugin's Admit is ``apiserver.admit_node`` (the apiserver applies it when a Node is created:
``useractions.register_new_node``, used by ``apply`` of a Node and the ``join node/NAME``
timeline verb). The Go test's feature gate TaintNodesByCondition is kmodel's setting
``nodeTaintAdmission`` (on by default; off is Kubernetes before the plugin). The plugin only
handles Create: a Node that already exists is not admitted again.

Not translated: "additional taint is added on creation with config" (the plugin's admission
configuration file with extra taints is not modelled; kmodel's apiserver has no admission
configuration).
"""

from __future__ import annotations

import attrs
import pytest

from kmodel.components import apiserver
from kmodel.settings import Settings
from kmodel.state import COND_FALSE, NO_SCHEDULE, TAINT_NOT_READY, Node, Taint
from kmodel.useractions import register_new_node
from tests.k8s.conftest import case, mkcluster

NOT_READY = Taint(key=TAINT_NOT_READY, effect=NO_SCHEDULE)
MY_NODE = Node(name="mynode")


@pytest.mark.parametrize(
    ("name", "node", "enabled", "expected"),
    [
        case("notReady taint is added on creation", MY_NODE, True, (NOT_READY,)),
        case("NotReady taint is not added when TaintNodesByCondition is disabled", MY_NODE, False, ()),
        case(
            "already tainted node is not tainted again", attrs.evolve(MY_NODE, taints=(NOT_READY,)), True, (NOT_READY,)
        ),
        case(
            "NotReady taint is added to an unready node as well",
            attrs.evolve(MY_NODE, ready=COND_FALSE),
            True,
            (NOT_READY,),
        ),
    ],
)
def test_node_taints(name: str, node: Node, enabled: bool, expected: tuple[Taint, ...]) -> None:
    """admission_test.go Test_nodeTaints, case ``name``: the taints of the Node as created."""
    c = mkcluster(settings=Settings(node_taint_admission=enabled))
    created = register_new_node(c, node).node("mynode")
    assert created is not None
    assert created.taints == expected


def test_admit_node_is_the_plugin() -> None:
    """admission_test.go Test_nodeTaints, "notReady taint is added on creation" and "already
    tainted node is not tainted again", on the plugin function itself."""
    assert apiserver.admit_node(MY_NODE, 0).taints == (NOT_READY,)
    tainted = attrs.evolve(MY_NODE, taints=(NOT_READY,))
    assert apiserver.admit_node(tainted, 0).taints == (NOT_READY,)
