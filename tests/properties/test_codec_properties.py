"""Escalation state survives the trip to a JSON document and back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncall_core import (
    Channel,
    Escalation,
    EscalationPolicy,
    EscalationStep,
    Incident,
    Service,
    Strategy,
    TeamTarget,
    Urgency,
    UserTarget,
)
from oncall_core import strategies as ost

codec = pytest.importorskip("oncall_adapters.sql.codec")


@st.composite
def escalations(draw: st.DrawFn) -> Escalation:
    """Draw an escalation somewhere in its life."""
    policy: EscalationPolicy = draw(ost.escalation_policies())
    triggered = draw(ost.instants())
    incident = Incident(
        draw(st.sampled_from(("INC-1", "a/b%c", "ünïcode"))),
        draw(st.text(min_size=1, max_size=20).filter(str.strip)),
        triggered,
        service=draw(st.none() | st.just("checkout")),
        urgency=draw(st.sampled_from(Urgency)),
        details=draw(st.text(max_size=30)),
        link=draw(st.none() | st.just("https://status.example.com/1")),
    )
    service = draw(
        st.none()
        | st.builds(
            Service,
            st.just("checkout"),
            st.just("Checkout"),
            channels=st.lists(st.sampled_from(Channel), unique=True),
            policy=st.none() | st.just("standard"),
        )
    )
    progress = Escalation.start(
        incident,
        policy,
        service=service,
        strategy=draw(st.none() | st.sampled_from(Strategy)),
        priority=draw(st.none() | st.permutations(list(Channel))),
    )
    escalation = progress.escalation
    if draw(st.booleans()):
        until = triggered + timedelta(minutes=draw(st.integers(1, 90)))
        escalation = escalation.snooze(until, triggered).escalation
    return escalation


class TestEscalationDocuments:
    """escalation_from_document inverts escalation_to_document."""

    @given(escalations())
    def test_an_escalation_round_trips_through_json(
        self, escalation: Escalation
    ) -> None:
        """What is stored is what comes back, field for field."""
        document = json.loads(json.dumps(codec.escalation_to_document(escalation)))

        assert codec.escalation_from_document(document) == escalation

    def test_a_document_of_another_format_is_refused(self) -> None:
        """A future format is not misread."""
        with pytest.raises(codec.BadDocument, match="format 99"):
            codec.escalation_from_document({"format": 99})

    @pytest.mark.parametrize(
        "damage",
        [
            lambda d: d["policy"]["steps"].clear(),
            lambda d: d["policy"]["steps"][0]["targets"][0].update(kind="robot"),
            lambda d: d.update(status="sleeping"),
            lambda d: d["incident"].update(triggered_at="yesterday"),
            lambda d: d.pop("step"),
        ],
    )
    def test_a_damaged_document_raises_bad_document(self, damage: object) -> None:
        """Every kind of damage is one error that says what is wrong."""
        policy = EscalationPolicy(
            "p", [EscalationStep([UserTarget("ana"), TeamTarget("ops")])]
        )
        incident = Incident("INC-1", "Down", datetime(2024, 1, 1, tzinfo=UTC))
        document = codec.escalation_to_document(
            Escalation.start(incident, policy).escalation
        )
        damage(document)  # type: ignore[operator]

        with pytest.raises(codec.BadDocument, match="stored escalation is not valid"):
            codec.escalation_from_document(document)
