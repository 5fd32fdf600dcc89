"""Control-plane components, one module each, named after the kubernetes/kubernetes package
they mirror. Each exposes a pure ``step(cluster) -> list[Outcome]``: the successors of one pass of
that component over the cluster (more than one only where the real component is
nondeterministic), and an empty list when it has nothing to do."""
