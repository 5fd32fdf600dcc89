"""The descheduler's plugins (kubernetes-sigs/descheduler v0.36.0, ``pkg/framework/plugins``), one
module each, named after the Go package (``lownodeutilization`` is the LowNodeUtilization half
of ``nodeutilization``). Each strategy plugin exposes ``run(handle, args)``: it reads the cluster
through the :class:`~kmodel.components.descheduler_plugins.framework.Handle` and evicts through
it, so the eviction limits, the DefaultEvictor and the one eviction path of
:mod:`kmodel.components.descheduler` apply to every plugin alike. The fit, affinity and taint
checks reuse the scheduler's plugins (:mod:`kmodel.components.plugins`)."""
