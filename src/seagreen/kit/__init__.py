"""Small, named building blocks shared by the modules (each file says what it does)."""
