//go:build !linux

package netsetup

import (
	"context"
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
)

// Apply needs Linux netlink; elsewhere it only says so, so that the rest of
// the package (config, plan) builds and tests on any system.
func Apply(ctx context.Context, h *netlink.Handle, p Plan, opts Options) ([]Change, error) {
	return nil, fmt.Errorf("apply vlan plan: %w", errors.ErrUnsupported)
}
