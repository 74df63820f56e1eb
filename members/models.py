"""Records of the members app."""
