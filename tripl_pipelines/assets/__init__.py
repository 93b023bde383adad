"""Assets per scan config partition, in lineage order (ARCHITECTURE.md "Pipelines")."""
