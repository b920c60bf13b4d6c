"""The ocean carbon-sink registry (海洋碳汇登记簿): methodologies, project review and filing,
serial-numbered issuance, transfers and sales, retirement with signed certificates."""
