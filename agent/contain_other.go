//go:build unix && !linux

package agent

import "log/slog"

// newBox returns a process-group box: outside Linux there is neither
// cgroup nor subreaper to hold a process that leaves its group.
func newBox(log *slog.Logger) box { return &groupBox{} }

// fallbackBox is the box when the first cannot start the tool.
func fallbackBox() box { return &groupBox{} }
