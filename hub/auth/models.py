"""Staff accounts. Names and email addresses are sealed; an email is found through its blind index."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, Created, SealedRowMixin, UTCDateTime
from hub.sealed import Sealed


class Role(enum.StrEnum):
    ALLOCATOR = "allocator"
    PROVIDER_STAFF = "provider_staff"
    COMMISSIONER = "commissioner"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {
            Role.ALLOCATOR: "TRS allocator",
            Role.PROVIDER_STAFF: "Provider staff",
            Role.COMMISSIONER: "Commissioner",
            Role.ADMIN: "Administrator",
        }[self]


class StaffUser(SealedRowMixin, Base):
    __tablename__ = "staff_user"

    email_index: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])
    )
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id", ondelete="RESTRICT"))
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_last_step: Mapped[int | None]
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    session_version: Mapped[int] = mapped_column(default=1)
    disabled: Mapped[bool] = mapped_column(default=False)
    # When it was last disabled (None while enabled, or disabled before this was kept): the retention
    # schedule's staff accounts rule runs from it.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when someone else chose the password (a new account, a reset): every staff page waits
    # until the person chooses their own.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # A password someone else chose (a reset, or a new account's first one) stops working after this.
    password_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[Created]
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The data-protection duty, held only by an administrator: subject access and other requests
    # about a person's rights, legal holds and erasure (hub.privacy).
    data_protection: Mapped[bool] = mapped_column(default=False)

    email = Sealed(str)
    display_name = Sealed(str)
    totp_secret = Sealed(str)

    # What Flask-Login asks of a user object.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return not self.disabled

    def get_id(self) -> str:
        return str(self.id)

    @property
    def enrolled(self) -> bool:
        return self.totp_secret_sealed is not None and self.totp_last_step is not None  # type: ignore[attr-defined]


class RecoveryCode(Base):
    """A single-use code for when the authenticator is lost; only its keyed hash is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StaffSession(Base):
    """A signed-in session, kept on the server so that signing out ends it for any copy of the cookie.

    The cookie holds a random token; only its SHA-256 is kept here, so a copy of this table opens
    no session.
    """

    __tablename__ = "staff_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[Created]
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
