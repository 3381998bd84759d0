"""Channels: services' channel lists, steps' overrides, users' enabled channels.

The data path for a database of the old design: existing services get
``["email", "slack"]``, what the old design sent on; existing steps get no
override (NULL); existing users get every channel but WhatsApp, which is
opt-in.

Revision ID: 0002
Revises: 0001
Create Date: 2024-09-01 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

# Frozen here: a later change of the core's defaults must not rewrite history.
ALL_BUT_WHATSAPP = '["email", "sms", "push", "slack", "webhook"]'
OLD_DESIGN_CHANNELS = '["email", "slack"]'


def upgrade() -> None:
    """Add the channel columns and fill them for the rows already there."""
    # The server default fills every existing row: WhatsApp off for all.
    op.add_column(
        "users",
        sa.Column(
            "enabled_channels",
            sa.JSON(),
            server_default=ALL_BUT_WHATSAPP,
            nullable=False,
        ),
    )

    # An empty list means "each user's preferences" to the core: a service
    # created from now on starts with it, those of the old design keep the
    # channels they were paged on.
    op.add_column(
        "services",
        sa.Column("channels", sa.JSON(), server_default="[]", nullable=False),
    )
    op.execute(f"UPDATE services SET channels = '{OLD_DESIGN_CHANNELS}'")

    op.add_column("policy_steps", sa.Column("channels", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop the channel columns (what they held is lost)."""
    with op.batch_alter_table("policy_steps") as batch:
        batch.drop_column("channels")
    with op.batch_alter_table("services") as batch:
        batch.drop_column("channels")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("enabled_channels")
