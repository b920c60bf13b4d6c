"""The residents' side (居民端): sign-in by phone and one-time code, the six views of one's
carbon account, the benefits mall, vouchers and authorisations, as pages and as a JSON API."""
