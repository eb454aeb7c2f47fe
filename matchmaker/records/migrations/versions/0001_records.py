"""Documents of record, the indexing outbox, the store's state.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("index_name", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("index_name", sa.String(64), nullable=False),
        sa.Column("doc_id", sa.String(200), nullable=False),
        sa.Column("op", sa.String(8), nullable=False),
        sa.Column("enqueued_at", sa.String(32), nullable=False),
        sa.Column("applied_at", sa.String(32), nullable=True),
    )
    op.create_index("outbox_pending", "outbox", ["applied_at", "seq"])
    op.create_table(
        "record_state",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("record_state")
    op.drop_index("outbox_pending", "outbox")
    op.drop_table("outbox")
    op.drop_table("documents")
