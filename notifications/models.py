"""Records of the notifications app."""
