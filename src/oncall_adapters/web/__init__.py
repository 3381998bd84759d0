"""The reference host app on the web: Twilio callbacks and replies, calendar feeds.

A framework-free WSGI application (the standard library only), to serve
with :func:`serve` or to mount in any host framework::

    from oncall_adapters.sql import SqlRepository, create_engine
    from oncall_adapters.sql.store import SqlEscalationStore
    from oncall_adapters.web import make_app, serve

    engine = create_engine("sqlite:///oncall.db")
    app = make_app(
        store=SqlEscalationStore(engine),
        repository=SqlRepository(engine),
        twilio_auth_tokens=[os.environ["ONCALL_TWILIO_AUTH_TOKEN"]],
        feed_token=os.environ["ONCALL_FEED_TOKEN"],
        public_base_url="https://oncall.example.com",
    )
    serve(app)  # http://127.0.0.1:8080, behind a proxy that terminates TLS

Needs the ``sql`` and ``twilio`` extras, and ``icalendar`` (the ``cli``
extra) for the feeds.
"""

from oncall_adapters.web._app import make_app
from oncall_adapters.web._feeds import FEED_AHEAD, FEED_BEHIND, FeedKind, feed_path
from oncall_adapters.web._http import MAX_FORM_BYTES
from oncall_adapters.web._replies import Command, Reply, parse_reply
from oncall_adapters.web._server import ThreadingWSGIServer, make_server, serve

__all__ = [
    "FEED_AHEAD",
    "FEED_BEHIND",
    "MAX_FORM_BYTES",
    "Command",
    "FeedKind",
    "Reply",
    "ThreadingWSGIServer",
    "feed_path",
    "make_app",
    "make_server",
    "parse_reply",
    "serve",
]
