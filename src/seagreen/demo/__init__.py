"""Demo data: a believable Weihai deployment, so that every page has something real to show."""
