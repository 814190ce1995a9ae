"""The referral hub: a Flask application factory that only wires the parts together."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from hub.config import Config


def create_app(config: Config | None = None) -> Flask:
    """Build the app. Reads settings (and stops with a clear sentence if any is missing); no writes."""
    from hub import cli, db, errors, posted, security, templating
    from hub.auth import access
    from hub.extensions import csrf, limiter
    from hub.keyring import Keyring
    from hub.workplace import navigation

    config = config or Config.load()
    app = Flask(__name__, instance_path=str(config.instance_path), instance_relative_config=True)
    _settings(app, config)
    app.extensions["hub.config"] = config
    app.extensions["hub.keyring"] = Keyring(config.key_file)

    db.init_app(app, config.database_url)
    posted.init_app(app)  # first: a body that is not a form post is refused before CSRF reads it
    csrf.init_app(app)
    limiter.init_app(app)
    templating.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    access.init_app(app)
    navigation.init_app(app)
    _register_blueprints(app)
    _wire_parts(app)
    cli.init_app(app)
    return app


def _settings(app: Flask, config: Config) -> None:
    app.config.update(
        SECRET_KEY=config.secret_key,
        TESTING=config.testing,
        MAX_CONTENT_LENGTH=256 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        SESSION_COOKIE_NAME="__Host-hub" if config.secure_cookies else "hub",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session; drafts expire on their own
        RATELIMIT_STORAGE_URI=config.ratelimit_storage_uri,
    )
    if config.trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.trusted_proxies, x_proto=config.trusted_proxies)  # type: ignore[method-assign]


def _wire_parts(app: Flask) -> None:
    """What one part needs of another it may not import: providers ask referrals about open offers."""
    from hub.referrals.allocation import open_offers

    app.extensions["hub.open_offers"] = open_offers


def _register_blueprints(app: Flask) -> None:  # long: one import and one line for each blueprint
    """The public pages first, then the staff areas."""
    from hub.auth.admin_views import bp as admin_bp
    from hub.auth.views import bp as auth_bp
    from hub.feedback.staff_views import bp as feedback_staff_bp
    from hub.feedback.views import bp as feedback_bp
    from hub.kpi.admin_views import bp as kpi_admin_bp
    from hub.kpi.commissioner_views import bp as commissioner_bp
    from hub.kpi.meeting_views import bp as meeting_bp
    from hub.kpi.pathway_views import bp as pathway_bp
    from hub.kpi.publication_views import bp as publication_bp
    from hub.kpi.target_views import bp as targets_bp
    from hub.kpi.views import bp as kpi_bp
    from hub.measures.admin_views import bp as measures_admin_bp
    from hub.privacy.notice_views import bp as privacy_notice_bp
    from hub.privacy.request_views import bp as requests_bp
    from hub.privacy.restriction_views import bp as restriction_bp
    from hub.privacy.views import bp as privacy_bp
    from hub.providers.admin_views import bp as provider_admin_bp
    from hub.providers.capacity_views import bp as providers_bp
    from hub.referrals.case_views import bp as cases_bp
    from hub.referrals.consultation_views import bp as consultation_bp
    from hub.referrals.consultation_views import staff_bp as consultation_list_bp
    from hub.referrals.intake_views import bp as intake_bp
    from hub.referrals.public_pages import bp as public_bp
    from hub.referrals.triage_views import bp as triage_bp
    from hub.workplace.views import bp as workplace_bp

    for blueprint in (
        public_bp,
        intake_bp,
        privacy_notice_bp,
        consultation_bp,
        feedback_bp,
        pathway_bp,
        auth_bp,
        workplace_bp,
        admin_bp,
        provider_admin_bp,
        triage_bp,
        consultation_list_bp,
        providers_bp,
        cases_bp,
        kpi_bp,
        commissioner_bp,
        publication_bp,
        meeting_bp,
        targets_bp,
        kpi_admin_bp,
        measures_admin_bp,
        privacy_bp,
        restriction_bp,
        requests_bp,
        feedback_staff_bp,
    ):
        app.register_blueprint(blueprint)
