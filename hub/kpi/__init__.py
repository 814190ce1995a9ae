"""Quarterly KPI returns, encrypted at rest, and the commissioners' joint review."""
