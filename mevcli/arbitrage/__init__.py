"""Finding arbitrage: token graph, cycle enumeration, optimal sizing, profit net of fees and gas."""
