"""Keeping a store healthy: export and import (``archive``), and the store-versus-index check and repair
(``doctor``). Above the store: these read through the workspace, the ingest pipeline and the analysis."""
