"""Quarterly KPI returns: definitions as data, sealed returns with versions, pre-filled figures."""
