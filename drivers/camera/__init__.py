"""IP camera access: source URLs and credentials, capture through OpenCV's FFmpeg backend, ONVIF, probing.

Pure codecs (RTP/H.264 packetisation, RTSP messages, SDP, HTTP digest, WS-Security, ONVIF/WS-Discovery XML) sit
beside the I/O modules that use them; the camera simulators reuse the same codecs from the device side.
"""
