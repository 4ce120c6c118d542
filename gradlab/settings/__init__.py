"""Settings, bounds, user data and links: what decides a run. Never imports torch, so the sidebar draws first."""
