"""Public address in the control room: systems, zones, announcements as the API shows them."""
