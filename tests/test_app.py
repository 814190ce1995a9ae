"""The app starts only with its secret and keys, answers its health check, and sets safe headers."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from hub import create_app
from hub.config import Config, ConfigError
from hub.keyring import KeyFileError, Keyring

from . import factories
from .conftest import OwnContextClient, make_config


def test_start_up_stops_without_a_secret_and_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"HUB_SECRET_KEY is not set.*flask --app hub init"):
        Config.load(tmp_path, environ={})


def test_a_short_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="shorter than 32"):
        Config.load(tmp_path, environ={"HUB_SECRET_KEY": "too-short"})


@pytest.mark.parametrize("colour", ["#0b0c0c", "#1d70b8", "#D4351C", "#00703c", "#767676"])
def test_a_brand_colour_white_text_reads_on_is_taken(tmp_path: Path, colour: str) -> None:
    config = Config.load(tmp_path, environ={"HUB_SECRET_KEY": "s" * 40, "HUB_BRAND_COLOUR": colour})
    assert config.brand_colour == colour


@pytest.mark.parametrize(
    ("colour", "ratio"), [("#ffcc00", "1.51"), ("#ffffff", "1.00"), ("#777777", "4.47"), ("#00a33b", "3.33")]
)
def test_a_brand_colour_too_light_for_white_text_stops_start_up_naming_the_ratio(
    tmp_path: Path, colour: str, ratio: str
) -> None:
    with pytest.raises(ConfigError, match=rf"HUB_BRAND_COLOUR {colour} is too light.* {ratio}:1.*4\.5:1"):
        Config.load(tmp_path, environ={"HUB_SECRET_KEY": "s" * 40, "HUB_BRAND_COLOUR": colour})


@pytest.mark.parametrize("colour", ["1d70b8", "#1d70b", "#1d70b8 ", "blue", "#gggggg", "#1d70b8;x", "#fff"])
def test_a_malformed_brand_colour_stops_start_up(tmp_path: Path, colour: str) -> None:
    with pytest.raises(ConfigError, match="HUB_BRAND_COLOUR must be a colour like #1d70b8"):
        Config.load(tmp_path, environ={"HUB_SECRET_KEY": "s" * 40, "HUB_BRAND_COLOUR": colour})


def test_white_text_contrast_follows_the_wcag_formula() -> None:
    from hub.config import white_text_contrast

    assert white_text_contrast("#000000") == pytest.approx(21.0)
    assert white_text_contrast("#ffffff") == pytest.approx(1.0)
    assert white_text_contrast("#767676") == pytest.approx(4.54, abs=0.01)  # the lightest grey that passes


def test_settings_come_from_the_instance_file_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / "config.py").write_text(
        'HUB_SECRET_KEY = "s" * 40\nHUB_DATABASE_URL = "sqlite:///from-file.db"\nHUB_EXIT_URL = "https://example.org/"\n'
    )
    config = Config.load(tmp_path, environ={"HUB_DATABASE_URL": "postgresql+psycopg://db/hub"})
    assert config.secret_key == "s" * 40
    assert config.database_url == "postgresql+psycopg://db/hub"
    assert config.exit_url == "https://example.org/"
    assert config.key_file == tmp_path / "keys.json"
    assert config.secure_cookies is True


def test_the_embedded_database_and_key_file_default_to_the_instance_folder(tmp_path: Path) -> None:
    config = Config.load(tmp_path, environ={"HUB_SECRET_KEY": "s" * 40, "HUB_KEY_FILE": "other.json"})
    assert config.database_url == f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    assert config.key_file == tmp_path / "other.json"


def test_start_up_stops_without_the_key_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="does not exist"):
        create_app(make_config(tmp_path, "sqlite://", tmp_path / "missing.json"))


def test_start_up_stops_with_a_malformed_key_file(tmp_path: Path) -> None:
    key_file = tmp_path / "keys.json"
    key_file.write_text("{ not json")
    os.chmod(key_file, 0o600)
    with pytest.raises(KeyFileError, match="not a valid hub key file"):
        create_app(make_config(tmp_path, "sqlite://", key_file))


def test_health_check_answers_when_the_database_does(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_health_check_says_unavailable_when_the_database_does_not(tmp_path: Path) -> None:
    key_file = Keyring.create(tmp_path / "keys.json").path
    app = create_app(make_config(tmp_path, f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.db'}", key_file))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable"}


def test_the_start_page_lists_the_providers_and_what_they_offer(
    client: FlaskClient, db_session: Session
) -> None:
    offer = factories.specialism(db_session, label="Group work")
    factories.provider(db_session, name="Harbour Light", specialisms=[offer])
    factories.provider(db_session, name="Closed Door", active=False)
    page = client.get("/").get_data(as_text=True)
    assert "Harbour Light" in page and "Group work" in page
    assert "Closed Door" not in page
    assert "If you are in danger now, call 999." in page


@pytest.mark.parametrize("path", ["/", "/healthz", "/no-such-page"])
def test_every_response_carries_the_safety_headers(client: FlaskClient, path: str) -> None:
    headers = client.get(path).headers
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"


def test_a_missing_page_is_a_plain_404(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_an_oversized_request_is_refused_kindly(client: FlaskClient, app: Flask) -> None:
    app.add_url_rule("/echo", "echo", lambda: "ok", methods=["POST"])
    response = client.post("/echo", data={"x": "a" * 300_000})
    assert response.status_code == 413
    assert "too much to send at once" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/no-such-page", "/static/hub.js", "/exit"])
def test_every_response_asks_for_https_for_a_year_when_cookies_are_secure(
    app: Flask, connection: Connection, path: str
) -> None:
    secure = create_app(replace(app.extensions["hub.config"], secure_cookies=True))
    database = secure.extensions["hub.database"]
    database.engine.dispose()
    database.sessionmaker.configure(bind=connection, join_transaction_mode="create_savepoint")
    secure.test_client_class = OwnContextClient
    response = secure.test_client().get(path)
    response.close()
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize("path", ["/", "/no-such-page", "/exit"])
def test_local_development_without_secure_cookies_sends_no_hsts(client: FlaskClient, path: str) -> None:
    # Over plain HTTP on a laptop, HSTS would lock the browser out of http://127.0.0.1 for a year.
    assert "Strict-Transport-Security" not in client.get(path).headers
