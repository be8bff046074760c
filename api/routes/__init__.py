"""Routes: HTTP only; every answer comes from an engagement query function."""
