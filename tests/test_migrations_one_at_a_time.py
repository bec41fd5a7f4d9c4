"""Migrating a database that the double-click defect left with doubles: the rows doubled
are closed, the unique rules hold afterwards, and every professional gets a check."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command

from db.migrate import alembic_config, upgrade

NOW = "2026-11-30 10:00:00.000000"
LATER = "2026-11-30 10:00:01.000000"


def _user(db: sqlite3.Connection, user_id: str, role: str) -> None:
    db.execute(
        "INSERT INTO users (id, esame_id, email, password_hash, role, status, first_name,"
        " last_name, language, created_at, updated_at)"
        " VALUES (?, ?, ?, 'x', ?, 'active', 'A', 'B', 'fr', ?, ?)",
        (user_id, f"ES-{user_id}", f"{user_id}@example.test", role, NOW, NOW))


def test_doubles_are_closed_and_the_rules_hold_afterwards(tmp_path: Path) -> None:
    path = tmp_path / "before.sqlite"
    url = f"sqlite+aiosqlite:///{path}"
    config = alembic_config(url)
    for before in ("0002_accounts", "0006_saved_cards", "0005_payment_refunds", "0004_record"):
        command.upgrade(config, before)
    db = sqlite3.connect(path)
    for user_id, role in (("pat", "patient"), ("doc", "doctor"), ("doc2", "doctor"),
                          ("pha", "pharmacist"), ("adm", "admin")):
        _user(db, user_id, role)
    links = [("l1", "doc", "pending", NOW), ("l2", "doc", "active", LATER),
             ("l3", "doc2", "pending", NOW), ("l4", "doc2", "pending", LATER),
             ("l5", "doc2", "expired", NOW)]
    db.executemany("INSERT INTO care_links (id, patient_id, doctor_id, status, created_at)"
                   " VALUES (?, 'pat', ?, ?, ?)", links)
    db.executemany(
        "INSERT INTO subscriptions (id, user_id, plan_id, status, auto_renew, period,"
        " created_at, updated_at) VALUES (?, 'pat', 'plan-confort', ?, 1, 1, ?, ?)",
        [("s1", "active", NOW, NOW), ("s2", "pending_payment", LATER, LATER),
         ("s0", "expired", NOW, NOW)])
    db.commit()

    upgrade(url)

    status = dict(db.execute("SELECT id, status FROM care_links").fetchall())
    assert status == {"l1": "expired", "l2": "active", "l3": "pending", "l4": "expired",
                      "l5": "expired"}
    subscriptions = dict(db.execute("SELECT id, status FROM subscriptions").fetchall())
    assert subscriptions == {"s0": "expired", "s1": "expired", "s2": "pending_payment"}
    checks = db.execute("SELECT user_id, status, submitted_at FROM professional_verifications"
                        " ORDER BY user_id").fetchall()
    assert checks == [("doc", "pending", NOW), ("doc2", "pending", NOW),
                      ("pha", "pending", NOW)]
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO care_links (id, patient_id, doctor_id, status, created_at)"
                   " VALUES ('l6', 'pat', 'doc', 'pending', ?)", (NOW,))
    db.execute("INSERT INTO care_links (id, patient_id, doctor_id, status, created_at)"
               " VALUES ('l7', 'pat', 'doc', 'declined', ?)", (NOW,))
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO subscriptions (id, user_id, plan_id, status, auto_renew,"
                   " period, created_at, updated_at)"
                   " VALUES ('s3', 'pat', 'plan-confort', 'active', 1, 1, ?, ?)", (NOW, NOW))
    db.close()
