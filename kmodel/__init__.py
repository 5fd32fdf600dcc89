"""kmodel: a formal state-machine model of the Kubernetes control plane, with verifiers."""

__version__ = "0.1.0"
