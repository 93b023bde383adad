"""The tracking plan. Importing the package registers the plan's contribution to project summaries."""

from tripl_core.plan import plan_summary as plan_summary
