"""d3: a deterministic, offline financial-plan engine for a GPU-inference business."""

__version__ = "0.1.0"
ENGINE_VERSION = __version__
SCHEMA_VERSION = 1
