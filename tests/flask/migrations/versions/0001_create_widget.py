"""Create the widget table.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("widget", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("widget")
