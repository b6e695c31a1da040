package main

import (
	"fmt"
	"os"

	"github.com/oversight-dev/oversight/keydir"
)

// defaultKeys is the keys directory used when --keys is not given.
const defaultKeys = "data/keys"

// demoKeys is the keys directory of "serve --demo", recreated with the
// demo database: the demo's audit log is a new log each time.
const demoKeys = "data/demo-keys"

// keysDir resolves and opens the directory of the server's secrets.
func (c *ServeCmd) keysDir() (*keydir.Dir, error) {
	dir := c.Keys
	if dir == "" {
		dir = defaultKeys
		if c.Demo && c.DB == "" {
			dir = demoKeys
			if err := os.RemoveAll(dir); err != nil {
				return nil, fmt.Errorf("reset demo keys: %w", err)
			}
		}
	}
	return keydir.Open(dir)
}
