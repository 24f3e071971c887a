"""Add widget.name.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("widget", sa.Column("name", sa.String(50)))


def downgrade() -> None:
    op.drop_column("widget", "name")
