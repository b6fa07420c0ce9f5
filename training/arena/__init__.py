"""The blind A/B arena: filling it with matches between two versions, its pages, and its summary."""
