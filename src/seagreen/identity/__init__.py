"""Identity and access (身份与权限): organisations, users, roles, residents, API keys, sessions."""
