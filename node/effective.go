package node

// Effective returns c as New runs it: each zero field, the mempool's
// included, takes its default. Whatever shows defaults (the CLI's flag help)
// reads them here, so that each default is written once, in withDefaults.
func (c Config) Effective() Config {
	c = c.withDefaults()
	c.Mempool = c.Mempool.Effective()
	return c
}
