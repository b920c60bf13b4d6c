from tests.factories.identity import cheap_password_hashing

__all__ = ["cheap_password_hashing"]
