"""Kubernetes releases: which one a scenario follows, and what changed between them.

The ``kubernetesVersion`` setting (``"1.37"``, ``"v1.16"``, ``"1.34.2"``) picks the release whose
defaults, messages and behaviours the model follows. A minor version without a patch means its
newest patch release. Every behaviour that differs between the supported releases is listed in
:data:`CHANGES`, with the change that introduced it, so ``kmodel settings`` and the README can
show the table and a reader can check each line.

The default is the newest stable release whose sources were checked: kubernetes/kubernetes at
the v1.37 line (the stored tree carries CHANGELOG-1.38 for the release after it).
"""

from __future__ import annotations

import re
from functools import lru_cache

from attrs import frozen

OLDEST_MINOR = 16  # seed 003 ran v1.16
NEWEST_MINOR = 37
DEFAULT_VERSION = "1.37"

_VERSION = re.compile(r"^v?1\.(\d{1,2})(?:\.(\d{1,3}))?$")


class VersionError(ValueError):
    pass


@lru_cache(maxsize=64)
def parse(text: object) -> tuple[int, int | None]:
    """``"1.32"`` -> (32, None); ``"v1.34.2"`` -> (34, 2). Raises VersionError with the fix."""
    if not isinstance(text, str):
        raise VersionError(f'write the release as a string like "{DEFAULT_VERSION}", got {text!r}')
    m = _VERSION.match(text.strip())
    if not m or not m.group(1).isascii():
        raise VersionError(f'expected a release like "{DEFAULT_VERSION}" or "v1.16", got {text!r}')
    minor = int(m.group(1))
    if not OLDEST_MINOR <= minor <= NEWEST_MINOR:
        raise VersionError(f"kmodel follows Kubernetes 1.{OLDEST_MINOR} to 1.{NEWEST_MINOR}, got {text!r}")
    return minor, int(m.group(2)) if m.group(2) is not None else None


def minor_of(text: str) -> int:
    return parse(text)[0]


@frozen
class Change:
    """One behaviour that differs between releases: from ``since`` on, ``after`` holds."""

    since: int  # minor version
    what: str
    before: str
    after: str
    source: str


CHANGES: tuple[Change, ...] = (
    Change(
        18,
        "FailedScheduling reason of TaintToleration",
        "node(s) had taints that the pod didn't tolerate",
        "node(s) had taint {KEY: VALUE}, that the pod didn't tolerate",
        "pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go, kubernetes PR 87250",
    ),
    Change(
        22,
        "kubelet admission of a pod that names its node",
        "admitted whatever the node's NoExecute taints (taint eviction then deletes it)",
        "rejected (Failed, reason TaintToleration) when a NoExecute taint is not tolerated",
        "pkg/kubelet/lifecycle/predicate.go, kubernetes PR 101218",
    ),
    Change(
        24,
        "FailedScheduling reason of TaintToleration",
        "node(s) had taint {KEY: VALUE}, that the pod didn't tolerate",
        "node(s) had untolerated taint {KEY: VALUE}",
        "taint_toleration.go, kubernetes PR 109119",
    ),
    Change(
        19,
        "preemptionPolicy: Never (non-preempting pods)",
        "ignored: the NonPreemptingPriority feature gate is off by default, every pod may preempt",
        "honoured: such a pod waits in the queue and never preempts",
        "KEP-902 NonPreemptingPriority (alpha 1.15, beta and on by default 1.19, GA 1.24)",
    ),
    Change(
        24,
        "FailedScheduling message ends with the preemption diagnosis",
        "0/N nodes are available: ...",
        "0/N nodes are available: .... preemption: 0/N nodes are available: ...",
        "pkg/scheduler/framework/types.go FitError.Error, kubernetes PR 107775",
    ),
    Change(
        18,
        "topologySpreadConstraints",
        "dropped by the apiserver (EvenPodsSpread alpha, off)",
        "honoured by PodTopologySpread (beta 1.18, GA 1.19)",
        "pkg/features/kube_features.go EvenPodsSpread",
    ),
    Change(
        26,
        "topologySpreadConstraints nodeAffinityPolicy / nodeTaintsPolicy",
        "ignored (nodes failing the pod's node affinity are skipped; taints ignored)",
        "honoured",
        "NodeInclusionPolicyInPodTopologySpread beta, on by default (GA 1.33)",
    ),
    Change(
        27,
        "topologySpreadConstraints minDomains and matchLabelKeys",
        "ignored (minDomains treated as 1)",
        "honoured",
        "MinDomainsInPodTopologySpread and MatchLabelKeysInPodTopologySpread on by default",
    ),
    Change(
        27,
        "an empty topology spread labelSelector ({})",
        "counts every existing pod",
        "counts no existing pod (the incoming pod still matches it)",
        "podtopologyspread/common.go countPodsMatchSelector, kubernetes PR 116607 (fixed after 1.37, PR 141340)",
    ),
    Change(
        27,
        "--pod-eviction-timeout (evictionMode: legacy)",
        "available",
        "removed; the 300 s default tolerations do its job",
        "cmd/kube-controller-manager/app/options/nodelifecyclecontroller.go",
    ),
    Change(
        29,
        "source of the taint eviction controller's events",
        "taint-controller (the NoExecuteTaintManager inside the node lifecycle controller)",
        "taint-eviction-controller",
        "pkg/controller/tainteviction (KEP-3902, SeparateTaintEvictionController)",
    ),
    Change(
        32,
        "nodeMonitorGracePeriod default",
        "40s",
        "50s",
        "pkg/controller/nodelifecycle/config/v1alpha1/defaults.go, kubernetes PR 126287",
    ),
    Change(
        33,
        "label values in required node affinity (nodeSelectorTerms[].matchExpressions[].values)",
        "accepted by the apiserver (the scheduler cannot parse the term: it matches no node)",
        "must be valid label values",
        "pkg/apis/core/validation, kubernetes PR 128212",
    ),
    Change(
        34,
        "FailedScheduling reason of TaintToleration",
        "node(s) had untolerated taint {KEY: VALUE}",
        "node(s) had untolerated taint(s)",
        "taint_toleration.go, kubernetes PR 134740 (in 1.35, cherry-picked into the 1.34 patch releases)",
    ),
    Change(
        34,
        "FailedScheduling message names the DynamicResources PostFilter",
        "... preemption: ...",
        "... no new claims to deallocate, preemption: ...",
        "pkg/scheduler/framework/plugins/dynamicresources (DRA enabled by default since 1.34)",
    ),
    Change(
        31,
        "a Job's terminal condition (Failed, Complete)",
        "added as soon as the Job controller decides",
        "FailureTarget / SuccessCriteriaMet first; Failed / Complete once none of its pods is terminating",
        "pkg/controller/job delayTerminalCondition (JobManagedBy, JobPodReplacementPolicy); "
        "kubernetes/website PR 46808",
    ),
)


def default_node_monitor_grace_period(version: str) -> int:
    return 50 if minor_of(version) >= 32 else 40


def taint_eviction_source(version: str) -> str:
    return "taint-eviction-controller" if minor_of(version) >= 29 else "taint-controller"


def legacy_eviction_available(version: str) -> bool:
    return minor_of(version) < 27


def taint_filter_reason(version: str, key: str, value: str) -> str:
    """TaintToleration's Filter reason for an untolerated taint, as the release words it."""
    minor = minor_of(version)
    if minor < 18:
        return "node(s) had taints that the pod didn't tolerate"
    if minor < 24:
        return f"node(s) had taint {{{key}: {value}}}, that the pod didn't tolerate"
    if minor < 34:
        return f"node(s) had untolerated taint {{{key}: {value}}}"
    return "node(s) had untolerated taint(s)"


def preemption_diagnosis(version: str) -> bool:
    """Whether FailedScheduling messages carry DefaultPreemption's own ``preemption: ...`` part."""
    return minor_of(version) >= 24


def non_preempting_priority(version: str) -> bool:
    """Whether the scheduler honours ``preemptionPolicy: Never`` (NonPreemptingPriority on)."""
    return minor_of(version) >= 19


def dynamic_resources_postfilter(version: str) -> bool:
    """Whether the DynamicResources plugin's ``no new claims to deallocate`` precedes it."""
    return minor_of(version) >= 34


def kubelet_checks_no_execute(version: str) -> bool:
    """Whether the kubelet rejects a pod that does not tolerate a NoExecute taint of its node."""
    return minor_of(version) >= 22


def node_affinity_values_validated(version: str) -> bool:
    """Whether the apiserver checks the values of required node affinity as label values."""
    return minor_of(version) >= 33


def job_delays_terminal_condition(version: str) -> bool:
    """Whether the Job controller adds FailureTarget / SuccessCriteriaMet first and the terminal
    condition only once no pod of the Job is terminating."""
    return minor_of(version) >= 31
