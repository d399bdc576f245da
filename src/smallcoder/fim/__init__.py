"""Fill-in-the-middle completion: prompt formats (pure, ground floor: formats.py), and above the
backends the context gatherer, stop rules, result cache and the engine that ties them together."""
