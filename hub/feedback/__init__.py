"""Survivors' anonymous feedback: single-use codes, the public form, and who may read the answers.

Answers are kept with the provider and the quarter only, never with a referral, a case, a code or a
time of day. This part knows accounts and providers, and nothing of referrals or KPIs.
"""
