"""Chef-Bot's library: what the five scripts share, one module per concern."""
