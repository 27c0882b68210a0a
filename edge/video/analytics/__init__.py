"""Video analytics that need no downloaded model: motion, tamper, tracked objects, zone rules.

``config`` (settings, cheap to import), ``pipeline.AnalyticsPipeline`` (OpenCV), ``findings.Finding``.
"""
