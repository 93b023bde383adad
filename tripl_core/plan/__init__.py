"""The tracking plan. Importing the package registers the plan's contribution to project summaries."""

from tripl_core.plan import plan_counts as plan_counts
