"""Tracking payloads checked against the plan with the rules scans apply to warehouse data."""
