"""The baseline for the intake benchmark: a minimal Flask app whose one POST inserts ten text columns.

Served by gunicorn exactly as the hub is, against the same PostgreSQL server, so the ratio shows
what the hub's safety work (CSRF, sealing, drafts, rate limits) costs.
"""

from __future__ import annotations

import os

from flask import Flask, request
from sqlalchemy import String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

COLUMNS = [f"field_{n}" for n in range(10)]


class Base(DeclarativeBase):
    pass


class Submission(Base):
    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    field_0: Mapped[str] = mapped_column(String(200))
    field_1: Mapped[str] = mapped_column(String(200))
    field_2: Mapped[str] = mapped_column(String(200))
    field_3: Mapped[str] = mapped_column(String(200))
    field_4: Mapped[str] = mapped_column(String(200))
    field_5: Mapped[str] = mapped_column(String(200))
    field_6: Mapped[str] = mapped_column(String(200))
    field_7: Mapped[str] = mapped_column(String(200))
    field_8: Mapped[str] = mapped_column(String(200))
    field_9: Mapped[str] = mapped_column(String(200))


# The same engine settings as the hub (hub.db.make_engine), so only the application differs.
engine = create_engine(os.environ["BASELINE_DATABASE_URL"], pool_pre_ping=True)
app = Flask(__name__)


@app.post("/submit")
def submit() -> tuple[str, int]:
    with Session(engine) as session:
        session.add(Submission(**{name: request.form.get(name, "")[:200] for name in COLUMNS}))
        session.commit()
    return "saved", 201


@app.get("/healthz")
def healthz() -> str:
    return "ok"


def create_tables() -> None:
    Base.metadata.create_all(engine)
