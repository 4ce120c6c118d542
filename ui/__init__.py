"""Streamlit glue shared by every page: sidebar, page skeleton, caching and small renderers."""
