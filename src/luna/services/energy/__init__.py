"""Smart-meter data and prices: feeds, storage access, insights, advice, the simulator."""
