"""cityedge edge node: drivers bridged to the JCCR over MQTT 5."""

__version__ = "0.1.0"
