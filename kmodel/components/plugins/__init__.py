"""kube-scheduler's plugins (pkg/scheduler/framework/plugins), one module each.

Each module mirrors the Go package of the same name: a ``filter(state, node)`` that returns a
:class:`~kmodel.components.plugins.framework.Status` when the node does not fit (None when it
does) and, for score plugins, a ``score(state, nodes)`` returning each node's normalised score
(0..100). :mod:`kmodel.components.scheduler` runs them in the default profile's order and
weights (pkg/scheduler/apis/config/v1/default_plugins.go).
"""
