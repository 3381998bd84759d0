"""Email through SMTP, with STARTTLS or implicit TLS, threaded by incident.

Only the standard library is needed::

    sender = SmtpEmailSender(
        "smtp.example.com",
        sender="On-call <oncall@example.com>",
        username="oncall",
        password=password,
    )
"""

from oncall_adapters.email._compose import compose, message_id, thread_id
from oncall_adapters.email._smtp import (
    InvalidEmailSetting,
    SmtpEmailSender,
    SmtpFailed,
    SmtpSecurity,
)

__all__ = [
    "InvalidEmailSetting",
    "SmtpEmailSender",
    "SmtpFailed",
    "SmtpSecurity",
    "compose",
    "message_id",
    "thread_id",
]
