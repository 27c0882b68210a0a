"""Column-mounted street-light controllers speaking cityedge's node protocol over MQTT (protocols.md §3)."""
