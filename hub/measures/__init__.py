"""Validated outcome measures as data: the registry, scoring and the Jacobson-Truax classification.

The registry knows nothing of referrals or KPIs; a case's measures are recorded in ``hub.referrals``.
"""
