"""Typed tracking code and JSON Schema generated from a branch of the plan (SEMANTICS §15)."""
