"""SMS and WhatsApp through Twilio, with the official ``twilio`` SDK.

Build a :class:`TwilioAccount` (credentials and endpoint), then the senders
that use it; read delivery statuses with :func:`verify_status_callback`::

    account = TwilioAccount(sid, token)
    sms = TwilioSmsSender(account, from_="+15017122661")
    whatsapp = TwilioWhatsAppSender(
        account,
        from_="whatsapp:+15017122661",
        template=WhatsAppTemplate("HX" + "0" * 32),
        sms_fallback=sms,
    )

Needs the ``twilio`` extra: ``pip install 'oncall[twilio]'``.
"""

from oncall_adapters.twilio._account import TwilioAccount
from oncall_adapters.twilio._callbacks import SIGNATURE_HEADER, verify_status_callback
from oncall_adapters.twilio._errors import (
    FALLBACK_CODES,
    ForgedCallback,
    InvalidCallback,
    InvalidTwilioSetting,
    TwilioRequestFailed,
)
from oncall_adapters.twilio._phones import InvalidPhoneNumber, e164
from oncall_adapters.twilio._senders import (
    TwilioSmsSender,
    TwilioWhatsAppSender,
    WhatsAppTemplate,
    whatsapp_fallback_code,
)

__all__ = [
    "FALLBACK_CODES",
    "SIGNATURE_HEADER",
    "ForgedCallback",
    "InvalidCallback",
    "InvalidPhoneNumber",
    "InvalidTwilioSetting",
    "TwilioAccount",
    "TwilioRequestFailed",
    "TwilioSmsSender",
    "TwilioWhatsAppSender",
    "WhatsAppTemplate",
    "e164",
    "verify_status_callback",
    "whatsapp_fallback_code",
]
