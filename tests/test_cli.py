"""The operator commands: init, seed-demo and keys, run as an operator would run them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select

from hub import create_app, db
from hub.config import Config
from hub.instance import init_command
from hub.keyring import Keyring
from hub.keys import count_by_key
from hub.providers.models import Provider
from hub.referrals.models import Allocation, ConsentRecord, Referral


@pytest.fixture
def instance(tmp_path: Path, fresh_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty instance folder and database, as on a fresh clone."""
    folder = tmp_path / "instance"
    monkeypatch.setenv("HUB_INSTANCE_PATH", str(folder))
    monkeypatch.setenv("HUB_DATABASE_URL", fresh_database("hub_cli"))
    monkeypatch.delenv("HUB_SECRET_KEY", raising=False)
    monkeypatch.delenv("HUB_KEY_FILE", raising=False)
    return folder


@pytest.fixture
def initialised(instance: Path) -> Iterator[Flask]:
    result = CliRunner().invoke(init_command)
    assert result.exit_code == 0, result.output
    app = create_app()
    yield app
    app.extensions["hub.database"].engine.dispose()


def test_init_creates_private_config_and_keys_and_migrates(instance: Path) -> None:
    result = CliRunner().invoke(init_command)
    assert result.exit_code == 0, result.output
    assert (instance / "config.py").stat().st_mode & 0o777 == 0o600
    assert (instance / "keys.json").stat().st_mode & 0o777 == 0o600
    assert instance.stat().st_mode & 0o777 == 0o700
    assert "newest revision" in result.output
    assert "HUB_MAIL_FOLDER = 'mail'" in (instance / "config.py").read_text(encoding="utf-8")
    app = create_app()
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Provider)) == 0
    app.extensions["hub.database"].engine.dispose()


def test_init_again_keeps_the_secret_and_the_keys(instance: Path) -> None:
    CliRunner().invoke(init_command)
    secret, keys = (instance / "config.py").read_bytes(), (instance / "keys.json").read_bytes()
    result = CliRunner().invoke(init_command)
    assert result.exit_code == 0, result.output
    assert (instance / "config.py").read_bytes() == secret
    assert (instance / "keys.json").read_bytes() == keys
    assert Config.load(instance).secret_key


def test_seed_demo_adds_the_three_providers_once(initialised: Flask) -> None:
    runner = initialised.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    with initialised.app_context():
        counted = {
            kind: db.session().scalar(select(func.count()).select_from(kind))
            for kind in (Provider, Referral, Allocation, ConsentRecord)
        }
    second = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "seed-demo added nothing" in second.output
    assert "password" not in second.output
    with initialised.app_context():
        names = set(db.session().scalars(select(Provider.name)))
        referrals = db.session().scalars(select(Referral)).all()
        assert names == {"Rotherham Rise", "GROW", "Rotherham Abuse Counselling Service (Rothacs)"}
        assert counted[Referral] == len(referrals) >= 60
        assert all(
            db.session().scalar(select(func.count()).select_from(kind)) == n for kind, n in counted.items()
        ), "a second run adds nothing"
        assert all(r.full_name.startswith("Demo Person") for r in referrals)  # type: ignore[union-attr]
        [waiting] = [r for r in referrals if not r.consent_to_share and r.status.value == "submitted"]
        assert waiting.source.value == "professional" and waiting.preferred_name == "Lee"
        recorded = set(db.session().scalars(select(ConsentRecord.referral_id)))
        assert recorded == {r.id for r in referrals}, "every demo referral has its consent facts"
        # A new referral for a demo person is found as a possible duplicate, as a real one would be.
        alex = Keyring(initialised.extensions["hub.keyring"].path).blind_index("email", "alex@example.org")
        [found] = db.session().scalars(select(Referral).where(Referral.email_index == alex))
        assert found.preferred_name == "Alex" and all(r.identity_index for r in referrals)
        assert all(p.capacity and p.specialisms for p in db.session().scalars(select(Provider)))


def test_kpi_remind_reminds_each_provider_once(initialised: Flask) -> None:
    runner = initialised.test_cli_runner()
    with time_machine.travel("2026-11-26 10:00:00+00:00"):  # 57 days after the last quarter ended
        runner.invoke(args=["seed-demo"])  # one demo return submitted, one draft, one not started
        first = runner.invoke(args=["kpi", "remind"])
        second = runner.invoke(args=["kpi", "remind"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "Reminded 2 providers. (GROW, Rotherham Rise)" in first.output
    assert "Reminded 0 providers." in second.output


def test_keys_rotate_status_and_retire(initialised: Flask) -> None:
    runner = initialised.test_cli_runner()
    runner.invoke(args=["seed-demo"])
    with initialised.app_context():
        named = sorted(str(r.preferred_name) for r in db.session().scalars(select(Referral)))
        consent_from = {c.from_whom for c in db.session().scalars(select(ConsentRecord))}
    old_key = Keyring(initialised.extensions["hub.config"].key_file).current_key_id

    refused = runner.invoke(args=["keys", "retire", old_key])
    assert refused.exit_code != 0 and "current key" in refused.output

    rotated = runner.invoke(args=["keys", "rotate", "--batch-size", "2"])
    assert rotated.exit_code == 0, rotated.output
    assert "Every value is sealed under the current key" in rotated.output
    new_key = Keyring(initialised.extensions["hub.config"].key_file).current_key_id

    status = runner.invoke(args=["keys", "status"])
    assert f"{new_key} (current)" in status.output and f"{old_key}  created" in status.output

    retired = runner.invoke(args=["keys", "retire", old_key])
    assert retired.exit_code == 0, retired.output
    with initialised.app_context():
        assert set(count_by_key(db.session())) == {new_key}
        assert sorted(str(r.preferred_name) for r in db.session().scalars(select(Referral))) == named
        from_whom = {c.from_whom for c in db.session().scalars(select(ConsentRecord))}
        assert from_whom == consent_from and "Demo Referrer" in from_whom, "consent records are resealed too"


def test_check_on_a_fresh_local_instance_says_what_production_still_needs(initialised: Flask) -> None:
    result = initialised.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1
    said = {line.split(":")[0].split(None, 1)[1]: line.split()[0] for line in result.output.splitlines()[:-1]}
    assert said["Mail server"] == "MISSING" and said["Secure cookies"] == "MISSING"
    assert said["Key file"] == "OK" and said["Secret key"] == "OK", "init makes both as production needs"
    assert "things to set before go-live" in result.output.splitlines()[-1]
