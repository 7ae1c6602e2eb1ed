"""docvision inside other engines (each module imports its engine: install the matching extra)."""
