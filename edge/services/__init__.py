"""Edge services: one per concern (lighting, PA, cameras), each owning its devices."""
