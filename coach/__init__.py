"""coach: an interaction coach for B2B account teams."""

import os as _os

# onnxruntime (the embedding model, and Chroma's own) ships telemetry that writes a device id under ~/.cache and
# may upload. The coach is offline and writes only in its data folder, so it is off before anything imports it.
# The variable's name changed across releases; both are set.
_os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
_os.environ.setdefault("ORT_TELEMETRY_DISABLED", "1")

__version__ = "0.1.0"
