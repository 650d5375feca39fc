"""Luna adapters lexical layer: in-process keyword indexes for the BM25 leg of hybrid retrieval."""
