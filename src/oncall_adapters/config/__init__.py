"""One TOML file that describes a whole on-call set-up, read into the core's values.

:func:`load_config` and :func:`parse_config` read users, teams, schedules,
escalation policies, services and delivery settings with ``cattrs``; every
problem is reported at once, each naming the file, the table and the field
(``oncall.toml: schedules.primary.layers[1].turn: must be positive, got
'0s'``). :func:`dump_config` writes a configuration back out, and
:func:`diff_configs` says what changed between two. Secrets never come from
the file: :meth:`Secrets.from_env` reads them from the environment.

Needs the ``cli`` extra (``pip install 'oncall[cli]'``). The format is
described in ``docs/configuration.md``.
"""

from oncall_adapters.config._diff import Changes, KindChanges, diff_configs
from oncall_adapters.config._dump import dump_config
from oncall_adapters.config._errors import ConfigError, InvalidSettings, Problem
from oncall_adapters.config._load import SECTIONS, load_config, parse_config
from oncall_adapters.config._model import Config
from oncall_adapters.config._settings import (
    SECRET_VARIABLES,
    Secrets,
    Settings,
    SlackSettings,
    SmtpSettings,
    TwilioSettings,
    WebhookSettings,
    WhatsAppSettings,
)

__all__ = [
    "SECRET_VARIABLES",
    "SECTIONS",
    "Changes",
    "Config",
    "ConfigError",
    "InvalidSettings",
    "KindChanges",
    "Problem",
    "Secrets",
    "Settings",
    "SlackSettings",
    "SmtpSettings",
    "TwilioSettings",
    "WebhookSettings",
    "WhatsAppSettings",
    "diff_configs",
    "dump_config",
    "load_config",
    "parse_config",
]
