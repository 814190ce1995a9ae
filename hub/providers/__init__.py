"""Providers, their specialisms and their declared capacity. Knows nothing of referrals."""
