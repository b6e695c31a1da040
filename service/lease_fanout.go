package service

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
)

// pushChannel is the PostgreSQL channel on which replicas tell each other
// of licence changes.
const pushChannel = "oversight_licence_changes"

// fanoutMsg is a licence change as it travels between replicas. It names
// the action rather than carrying it (a reason alone may exceed what a
// notification holds); the receiver reads it from the database.
type fanoutMsg struct {
	Origin        string                  `json:"origin"`
	LicenseID     string                  `json:"license_id"`
	Status        oversight.LicenseStatus `json:"status"`
	PolicyVersion int                     `json:"policy_version"`
	ActionID      string                  `json:"action_id,omitempty"`
	Retired       string                  `json:"retired,omitempty"` // a deployment retired
}

// fanoutQueue bounds the changes waiting to be sent to other replicas.
const fanoutQueue = 1024

// RunFanout relays licence changes between the replicas that share a
// PostgreSQL database, so that an enforcement action committed on one
// reaches the event streams open on every other one at once. It runs
// until ctx ends. On SQLite, one process holds every stream and it
// returns at once.
//
// Delivery is best effort: a change committed just before a replica
// crashes, or sent while a listener reconnects, is not relayed. A
// deployment that misses one still stops within a lease lifetime, since
// renewals are refused, and gets what it missed when its stream
// reconnects.
func (en *Enforcement) RunFanout(ctx context.Context) {
	s := en.s
	if !s.store.Fanout() {
		return
	}
	e := s.enf
	queue := make(chan fanoutMsg, fanoutQueue)
	s.Subscribe(func(c LicenseChange) {
		m := fanoutMsg{Origin: e.origin, LicenseID: c.LicenseID, Status: c.Status, PolicyVersion: c.PolicyVersion}
		if c.Action != nil {
			m.ActionID = c.Action.ID
		}
		if c.Retired != nil {
			m.Retired = c.Retired.ID
		}
		select {
		case queue <- m:
		default:
			s.log.Error("fan-out queue full: a licence change reaches other replicas' deployments only through their leases", "license", c.LicenseID)
		}
	})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case m := <-queue:
				b, _ := json.Marshal(m)
				if err := s.store.Notify(ctx, pushChannel, string(b)); err != nil && ctx.Err() == nil {
					s.log.Error("fan-out: notify other replicas", "license", m.LicenseID, "err", err)
				}
			}
		}
	}()
	s.store.Listen(ctx, pushChannel, func(payload string) {
		var m fanoutMsg
		if err := json.Unmarshal([]byte(payload), &m); err != nil || m.Origin == e.origin {
			return
		}
		// Straight to this replica's streams, not to subscribers: a relayed
		// change is never relayed again.
		c := LicenseChange{LicenseID: m.LicenseID, Status: m.Status, PolicyVersion: m.PolicyVersion}
		err := s.view(ctx, func(tx *store.Tx) (err error) {
			if m.ActionID != "" {
				if c.Action, err = tx.Action(m.ActionID); err != nil {
					return err
				}
			}
			if m.Retired != "" {
				c.Retired, err = tx.Deployment(m.Retired)
			}
			return err
		})
		if err != nil {
			// Another schema on the same database (tests), or a
			// database not yet caught up: nothing to relay.
			return
		}
		e.hub.publish(c)
	}, s.log.Warn)
	wg.Wait()
}
