"""The pages' Streamlit glue for the small network (`model=net`, issue 21): one module per page or panel."""
