package service

import (
	"testing"

	"github.com/oversight-dev/oversight"
)

// The hub hands each change to the watches of its licence only, in order,
// and drops a watch that stops reading instead of blocking the committer.
func TestHub(t *testing.T) {
	h := newHub()
	a, b, other := h.subscribe("lic_a"), h.subscribe("lic_a"), h.subscribe("lic_b")
	for v := 1; v <= 3; v++ {
		h.publish(LicenseChange{LicenseID: "lic_a", Status: oversight.LicenseActive, PolicyVersion: v})
	}
	for _, s := range []*subscription{a, b} {
		for v := 1; v <= 3; v++ {
			if c := <-s.ch; c.PolicyVersion != v {
				t.Fatalf("got version %d, want %d", c.PolicyVersion, v)
			}
		}
	}
	if len(other.ch) != 0 {
		t.Errorf("another licence's watch got %d changes", len(other.ch))
	}
	if n := h.watchers("lic_a"); n != 2 {
		t.Errorf("%d watchers, want 2", n)
	}

	// a keeps up, b does not.
	for v := 0; v <= watchBuffer; v++ {
		h.publish(LicenseChange{LicenseID: "lic_a", PolicyVersion: v})
		<-a.ch
	}
	select {
	case <-b.dropped:
	default:
		t.Fatal("a watch that stopped reading was not dropped")
	}
	select {
	case <-a.dropped:
		t.Fatal("a watch that kept up was dropped")
	default:
	}
	if n := h.watchers("lic_a"); n != 1 {
		t.Errorf("%d watchers after the drop, want 1", n)
	}
	h.unsubscribe(a)
	h.unsubscribe(other)
	if len(h.subs) != 0 {
		t.Errorf("subscriptions left: %v", h.subs)
	}
}
