"""placeholder"""

from tests.fuzz.harness import ROOT

__all__ = ["ROOT"]
