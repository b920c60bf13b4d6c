"""Programme statistics (项目统计) of the personal carbon account: residents, reductions, points and
redemptions, with a monthly roll-up, charts and CSV / Excel export, for operators and authorities."""
