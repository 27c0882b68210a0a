"""The CCTV edge service: camera workers, their health and alerts, adding cameras at run time, live view."""
