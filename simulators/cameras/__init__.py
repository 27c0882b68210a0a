"""Camera simulators: an RTSP/H.264 camera, an MJPEG-over-HTTP camera and an ONVIF device, each drawing its
pictures from a frame source callable ``source(t) -> BGR ndarray`` and taking scripted transport faults."""
