//go:build !unix

package agent

import (
	"errors"
	"log/slog"
	"time"
)

// command is not supported outside Unix: the agent there keeps the lease
// and serves the local endpoint, and supervises no command.
type command struct {
	done     chan error
	stopping bool
}

func startCommand(argv, env []string, log *slog.Logger) (*command, error) {
	return nil, errors.New("supervising a command needs a Unix system")
}

func (c *command) pid() int                             { return 0 }
func (c *command) containment() string                  { return "" }
func (c *command) stop(why string, grace time.Duration) {}
func (c *command) exited(err error) string              { return "" }
func exitCode(err error) int                            { return 1 }
