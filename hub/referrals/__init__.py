"""Referrals from professionals and from survivors, triage, allocation and the case timeline."""
