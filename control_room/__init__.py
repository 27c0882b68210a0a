"""cityedge control room: the JCCR's API, store, ingest and console."""

__version__ = "0.1.0"
