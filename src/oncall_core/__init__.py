"""oncall_core: who is on call, who is paged next, and on which channel.

The domain core: values and pure functions, no I/O and no clock of its own.
"""

from oncall_core._layers import Clock, Layer
from oncall_core._overrides import Override, OverrideKind
from oncall_core._restrictions import Restriction, RestrictionKind
from oncall_core._schedules import (
    Coverage,
    Handoff,
    Schedule,
    Segment,
    Shift,
    Source,
)
from oncall_core._time import Disambiguate, resolve_local
from oncall_core.errors import (
    AmbiguousTime,
    InvalidLayer,
    InvalidOverride,
    InvalidRestriction,
    InvalidSchedule,
    InvalidWindow,
    NaiveDatetime,
    NonexistentTime,
    OncallError,
    UnknownTimeZone,
)

__all__ = [
    "AmbiguousTime",
    "Clock",
    "Coverage",
    "Disambiguate",
    "Handoff",
    "InvalidLayer",
    "InvalidOverride",
    "InvalidRestriction",
    "InvalidSchedule",
    "InvalidWindow",
    "Layer",
    "NaiveDatetime",
    "NonexistentTime",
    "OncallError",
    "Override",
    "OverrideKind",
    "Restriction",
    "RestrictionKind",
    "Schedule",
    "Segment",
    "Shift",
    "Source",
    "UnknownTimeZone",
    "resolve_local",
]
