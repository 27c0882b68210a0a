"""PA head-end (tannoy) protocol: codec, driver, offline TTS and audio line output."""
