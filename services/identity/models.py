"""Tables of the identity schema."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from services.kit.feed import Xid8

SCHEMA = "identity"


def _now_col() -> Column:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Account(SQLModel, table=True):
    """A staff account (Admin, Analyst, Investigator, Auditor are role assignments)."""

    __tablename__ = "account"
    __table_args__ = {"schema": SCHEMA}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(sa_column=Column(String(320), unique=True, nullable=False))
    display_name: str = Field(sa_column=Column(String(200), nullable=False))
    password_hash: str = Field(sa_column=Column(String(200), nullable=False))
    active: bool = True
    created_at: datetime | None = Field(default=None, sa_column=_now_col())


class RefreshToken(SQLModel, table=True):
    """A sign-in session's refresh token, stored as a hash. Each use replaces it with a new
    one of the same family; presenting a replaced one revokes the whole family (theft)."""

    __tablename__ = "refresh_token"
    __table_args__ = {"schema": SCHEMA}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="identity.account.id", index=True,
                                  ondelete="CASCADE")
    family_id: uuid.UUID = Field(index=True)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_now_col())
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    revoked_at: datetime | None = Field(default=None,
                                        sa_column=Column(DateTime(timezone=True)))


class CasbinRule(SQLModel, table=True):
    """Role assignments as Casbin grouping rules: ptype 'g', v0 subject, v1 role."""

    __tablename__ = "casbin_rule"
    __table_args__ = (UniqueConstraint("ptype", "v0", "v1", name="uq_casbin_rule_assignment"),
                      {"schema": SCHEMA})

    id: int | None = Field(default=None, primary_key=True)
    ptype: str = Field(sa_column=Column(String(8), nullable=False))
    v0: str = Field(sa_column=Column(String(200), nullable=False, index=True))
    v1: str = Field(sa_column=Column(String(200), nullable=False))
    v2: str | None = Field(default=None, sa_column=Column(String(200)))


class Person(SQLModel, table=True):
    """The pseudonym map: a monitored person's subject id and alias, identity encrypted (with
    the person's own data key, in `person_key`). Department, region and the high-impact hint
    are kept in the clear as well: they are organisational, not identifying, and other
    services filter by them (scopes, priority users). An erased person keeps subject id,
    alias, department and region; identity, lookup hash and data key are gone."""

    __tablename__ = "person"
    __table_args__ = {"schema": SCHEMA}

    subject_id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    lookup_hash: str | None = Field(default=None,
                                    sa_column=Column(String(64), unique=True, nullable=True))
    alias: str = Field(sa_column=Column(String(40), unique=True, nullable=False))
    identity_ct: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    department: str | None = Field(default=None, sa_column=Column(String(200), index=True))
    region: str | None = Field(default=None, sa_column=Column(String(100), index=True))
    high_impact: bool = Field(default=False, sa_column=Column(
        Boolean, nullable=False, server_default="false", index=True))
    erased_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime | None = Field(default=None, sa_column=_now_col())
    updated_at: datetime | None = Field(default=None, sa_column=_now_col())


class PersonKey(SQLModel, table=True):
    """A person's data key, wrapped by the master key named `key_id`. Deleting the row
    shreds the person's identity (crypto-shredding)."""

    __tablename__ = "person_key"
    __table_args__ = {"schema": SCHEMA}

    subject_id: uuid.UUID = Field(sa_column=Column(
        Uuid, ForeignKey("identity.person.subject_id", ondelete="CASCADE"), primary_key=True))
    key_id: str = Field(sa_column=Column(String(16), nullable=False, index=True))
    wrapped_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_now_col())


class PersonChange(SQLModel, table=True):
    """Append-only, commit-ordered: a person's organisational attributes (department, region,
    high impact) or erasure changed. Served as `GET /people/changes` with the person's current
    values; carries nothing but the subject id."""

    __tablename__ = "person_change"
    __table_args__ = (Index("ix_person_change_xid_seq", "xid", "seq"), {"schema": SCHEMA})

    seq: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(),
                                                          primary_key=True))
    subject_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False))
    xid: str | None = Field(default=None, sa_column=Column(
        Xid8, nullable=False, server_default=func.pg_current_xact_id()))


class RekeyRun(SQLModel, table=True):
    """A pass re-encrypting the directory under the current identity key: who started it,
    how far it got. The work itself is resumable: a new pass takes the rows still left."""

    __tablename__ = "rekey_run"
    __table_args__ = {"schema": SCHEMA}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    key_id: str = Field(sa_column=Column(String(16), nullable=False))
    started_by: str = Field(sa_column=Column(String(200), nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    total: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    rewritten: int = Field(default=0, sa_column=Column(Integer, nullable=False,
                                                       server_default="0"))
    skipped: int = Field(default=0, sa_column=Column(Integer, nullable=False,
                                                     server_default="0"))
    error: str | None = Field(default=None, sa_column=Column(String(2000)))
    started_at: datetime | None = Field(default=None, sa_column=_now_col())
    updated_at: datetime | None = Field(default=None, sa_column=_now_col())
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class RevealGrant(SQLModel, table=True):
    """Who may see whom, for which case, until when, and why."""

    __tablename__ = "reveal_grant"
    __table_args__ = {"schema": SCHEMA}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    subject_id: uuid.UUID = Field(foreign_key="identity.person.subject_id", index=True)
    case_id: uuid.UUID
    account_id: uuid.UUID = Field(foreign_key="identity.account.id", index=True)
    justification: str = Field(sa_column=Column(String(2000), nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_now_col())
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class AccessScope(SQLModel, table=True):
    """What part of the monitored population a staff account or client may see. With no
    departments and no regions, a reviewer sees everyone; otherwise only people of the listed
    departments or regions. (Cases shared with a case viewer are the cases service's.)"""

    __tablename__ = "access_scope"
    __table_args__ = {"schema": SCHEMA}

    subject: str = Field(sa_column=Column(String(200), primary_key=True))
    departments: list[str] = Field(default_factory=list,
                                   sa_column=Column(JSONB, nullable=False,
                                                    server_default=text("'[]'::jsonb")))
    regions: list[str] = Field(default_factory=list,
                               sa_column=Column(JSONB, nullable=False,
                                                server_default=text("'[]'::jsonb")))
    updated_at: datetime | None = Field(default=None, sa_column=_now_col())


class PrivacySetting(SQLModel, table=True):
    """The single row of privacy settings (id 1)."""

    __tablename__ = "privacy_setting"
    __table_args__ = (CheckConstraint("id = 1", name="privacy_setting_single_row"),
                      {"schema": SCHEMA})

    id: int = Field(default=1, primary_key=True)
    pseudonymise: bool = True
    two_person_reveal: bool = False
    reveal_ttl_s: int = 8 * 3600
    updated_by: str | None = Field(default=None, sa_column=Column(String(200)))
    updated_at: datetime | None = Field(default=None, sa_column=_now_col())


class RevealRequest(SQLModel, table=True):
    """An Investigator's request to see who a person is, for one case. Granted at once, or,
    under the two-person rule, once a second Investigator or Admin approves it."""

    __tablename__ = "reveal_request"
    __table_args__ = {"schema": SCHEMA}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    subject_id: uuid.UUID = Field(index=True)
    case_id: uuid.UUID
    requested_by: str = Field(sa_column=Column(String(200), nullable=False, index=True))
    justification: str = Field(sa_column=Column(String(2000), nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False, index=True))
    decided_by: str | None = Field(default=None, sa_column=Column(String(200)))
    decision_reason: str | None = Field(default=None, sa_column=Column(String(2000)))
    created_at: datetime | None = Field(default=None, sa_column=_now_col())
    decided_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    grant_id: uuid.UUID | None = None


class ServiceClient(SQLModel, table=True):
    """A machine caller (an integrator, or one of OpenIRM's own services) that signs in with
    client credentials. Its Casbin subject is `client:<id>`; its roles are ordinary role
    assignments. Only a hash of the secret is kept. Revoking clears the hash and the roles
    but keeps the row, so the audit trail can still name the client; the name is unique
    among clients that are not revoked, so a revoked name can be given out again."""

    __tablename__ = "service_client"
    __table_args__ = (Index("uq_service_client_active_name", "name", unique=True,
                            postgresql_where=text("revoked_at IS NULL")),
                      {"schema": SCHEMA})

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(sa_column=Column(String(100), nullable=False))
    description: str = Field(default="", sa_column=Column(String(1000), nullable=False,
                                                          server_default=""))
    secret_hash: str | None = Field(default=None, sa_column=Column(String(64)))
    created_by: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_now_col())
    secret_rotated_at: datetime | None = Field(default=None,
                                               sa_column=Column(DateTime(timezone=True)))
    last_used_at: datetime | None = Field(default=None,
                                          sa_column=Column(DateTime(timezone=True)))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
