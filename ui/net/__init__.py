"""The network's pages (`model=net`, issue 21): one module per page's network view."""
