"""A person's rights over what the hub holds about them, and how long it is kept.

The retention schedule and its eraser, legal holds, and the requests a data-protection officer
records and answers (subject access, rectification, restriction, erasure). It may read referrals,
providers and accounts; nothing below it knows it.
"""
