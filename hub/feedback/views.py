"""``/feedback``: a survivor types their code, answers a few questions, and is thanked.

The code goes from page to page in a hidden box of the form (posted, never in an address, the
session or a log). Nothing here is audited or logged: a record of when someone gave feedback would
tie their answers to them.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from werkzeug.wrappers import Response

from hub import db
from hub.config import current_config
from hub.extensions import configured_limit, limiter, public_forms_limit, with_limits
from hub.feedback import codes
from hub.feedback.forms import CodeForm, QuestionsForm

bp = Blueprint("feedback", __name__)

# A code is a secret: trying codes is limited per address, as checking a referral's status is.
limited = with_limits(
    limiter.shared_limit(configured_limit("status_rate_limit"), scope="feedback", methods=["POST"]),
    public_forms_limit(),
)


@bp.route("/feedback", methods=["GET", "POST"])
@limited
def start() -> str:
    form = CodeForm()
    problem = None
    if form.validate_on_submit():
        if form.is_bot:
            abort(400)
        try:
            codes.check(db.session(), form.code.data or "")
        except codes.CodeNotAccepted as refused:
            problem = str(refused)
            form.code.errors = [problem]
        else:
            return _questions(QuestionsForm(formdata=None, code=codes.normalise(form.code.data or "")))
    return render_template("feedback/start.html", form=form, days=current_config().feedback_code_days)


@bp.route("/feedback/answers", methods=["GET", "POST"])
@limited
def answers() -> str | Response:
    form = QuestionsForm()
    if not form.is_submitted():
        return redirect(url_for("feedback.start"), code=303)
    if form.validate():
        if form.is_bot:
            abort(400)
        try:
            codes.redeem(db.session(), form.code.data or "", form.answers())
        except codes.CodeNotAccepted as refused:
            form.code.errors = [str(refused)]
        else:
            return redirect(url_for("feedback.thank_you"), code=303)
    return _questions(form)


def _questions(form: QuestionsForm) -> str:
    return render_template("feedback/questions.html", form=form)


@bp.get("/feedback/thank-you")
def thank_you() -> str:
    return render_template("feedback/thank_you.html")
