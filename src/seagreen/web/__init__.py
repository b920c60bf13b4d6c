"""The web layer shared by every module: layout, translation, static assets, request dependencies."""
