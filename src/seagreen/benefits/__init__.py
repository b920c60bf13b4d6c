"""Benefits (权益) and their redemption (兑换): the catalogue, vouchers, providers and stock."""
