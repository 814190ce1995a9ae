// Lets GOV.UK Frontend know scripts run here. A file of its own, because the hub allows no inline script.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
