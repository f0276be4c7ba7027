"""Sources: fetchers (build_query -> extract (network only) -> transform to typed frames). Never imports the store."""
