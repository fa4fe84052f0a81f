package web

import (
	"fmt"
	"os"
	"sync"
)

// passwordCache holds the password file's hashes for the sessions' check
// on every request, and reads the file again only when it has changed:
// another size, time or file ('ispacct web passwd' writes a new file and
// renames it over the old).
type passwordCache struct {
	mu     sync.Mutex
	path   string
	info   os.FileInfo
	hashes map[string][]byte
}

// hash is user's hash in the password file at path, nil when the file
// does not name the user.
func (c *passwordCache) hash(path, user string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		// Missing or out of reach: the sessions end, as a login would fail.
		return nil, fmt.Errorf("web password file: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hashes == nil || path != c.path || !os.SameFile(fi, c.info) || !fi.ModTime().Equal(c.info.ModTime()) || fi.Size() != c.info.Size() {
		hashes, err := readPasswords(path)
		if err != nil {
			return nil, err
		}
		c.path, c.info, c.hashes = path, fi, hashes
	}
	return c.hashes[user], nil
}
