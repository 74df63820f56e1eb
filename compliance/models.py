"""Records of the compliance app."""
