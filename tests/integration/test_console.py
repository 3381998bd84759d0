"""The console sender: what would be sent, written to a stream or a file."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from oncall_adapters.console import ConsoleSender, masked_address
from oncall_core import (
    Channel,
    DeliveryEventKind,
    Incident,
    Message,
    Sender,
    Templates,
)
from tests.integration.delivery_support import AT, FixedClock, pending

INCIDENT = Incident("inc-42", "Database down", AT, details="Replica lag")


def test_it_writes_the_channel_masked_address_subject_and_text() -> None:
    """One block per send: a header line, the subject, the text indented."""
    stream = io.StringIO()
    sender = ConsoleSender(stream, clock=FixedClock())
    mail = Templates().render(INCIDENT, Channel.EMAIL)

    event = sender.send(pending(Channel.EMAIL), mail, "ana@example.org")

    assert (event.kind, event.provider_id, event.at) == (
        DeliveryEventKind.SENT,
        "console-1",
        AT,
    )
    lines = stream.getvalue().splitlines()
    assert lines[0] == "[console] email to ana@example.org (inc-42/0/0/ana/email)"
    assert lines[1] == f"  subject: {mail.subject}"
    assert lines[2] == "  | Database down"


def test_phone_numbers_are_masked_and_urls_cut_to_their_host() -> None:
    """The output may land in a shared terminal or log."""
    stream = io.StringIO()
    sender = ConsoleSender(stream)
    sms = Message(Channel.SMS, None, "HIGH #inc-42")
    hook = Message(Channel.WEBHOOK, None, "x")

    sender.send(pending(Channel.SMS), sms, "+4915112345678")
    sender.send(pending(Channel.WHATSAPP), sms, "whatsapp:+4915112345678")
    sender.send(
        pending(Channel.WEBHOOK), hook, "https://u:p@hooks.example.com/t0ken?k=v"
    )

    out = stream.getvalue()
    assert "+4915112345678" not in out
    assert out.count("+49*********78") == 2
    assert "t0ken" not in out
    assert "u:p" not in out
    assert "https://hooks.example.com/…" in out


def test_it_appends_to_a_file(tmp_path: Path) -> None:
    """A path is opened for each send, so the file can be rotated or tailed."""
    path = tmp_path / "outbox.txt"
    sender = ConsoleSender(path)

    for _ in range(2):
        sender.send(pending(Channel.SLACK), Message(Channel.SLACK, None, "hi"), "U1")

    assert path.read_text().count("[console] slack to U1") == 2


def test_it_serves_every_channel_by_default_or_those_given() -> None:
    """A stand-in for all the real senders at once, or some of them."""
    assert ConsoleSender().channels == frozenset(Channel)
    assert ConsoleSender(channels=[Channel.SMS]).channels == {Channel.SMS}
    assert isinstance(ConsoleSender(), Sender)


def test_sends_from_many_threads_do_not_interleave() -> None:
    """Each block is written whole, ids are unique."""
    stream = io.StringIO()
    sender = ConsoleSender(stream)
    text = Message(Channel.EMAIL, "s", "line one\nline two\nline three")
    ids: list[str] = []

    def send() -> None:
        for _ in range(50):
            event = sender.send(pending(Channel.EMAIL), text, "ana@example.org")
            ids.append(str(event.provider_id))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    blocks = stream.getvalue().split("[console] ")[1:]
    assert len(blocks) == 200
    assert all(block.count("line") == 3 for block in blocks)
    assert len(set(ids)) == 200


def test_masked_address_shows_what_a_person_needs_and_no_more() -> None:
    """Push tokens are cut, emails and Slack ids are shown."""
    assert masked_address(Channel.PUSH, "abcdefghijkl") == "abcdef…"
    assert masked_address(Channel.SLACK, "U012AB3CD") == "U012AB3CD"
