"""batchtui: one terminal dashboard for LLM batch jobs across providers."""

__version__ = "0.1.0"
