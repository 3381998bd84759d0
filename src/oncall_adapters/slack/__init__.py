"""Slack: messages through an incoming webhook, blocks with a fallback text.

Only the standard library is needed::

    slack = SlackWebhookSender(webhook_url)
"""

from oncall_adapters.slack._sender import (
    InvalidSlackSetting,
    SlackWebhookSender,
    slack_payload,
)

__all__ = ["InvalidSlackSetting", "SlackWebhookSender", "slack_payload"]
