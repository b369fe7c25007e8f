"""Local HTTP emulators of the platforms' APIs, driven by the real client libraries."""
