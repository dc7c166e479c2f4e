"""The measured pieces, each run in a fresh child process by ``bench.child``."""
