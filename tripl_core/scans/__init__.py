"""Scans: configs that say how warehouse rows become a plan, their runs (jobs) and how runs are launched."""
