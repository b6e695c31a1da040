package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
)

// PushEvent is one server-sent event for a deployment (GET
// /v1/deployments/{id}/events).
type PushEvent struct {
	// ID is the event's id, the audit-log index of the enforcement action
	// behind it; 0 for an event with no id (a lease pushed on connecting or
	// after a restriction). Ids only grow, so a reconnecting deployment
	// passes the last one it saw and gets what it missed.
	ID int64
	// Type is oversight.PushLease, PushRestrict or PushShutdown.
	Type string
	// Data is an *oversight.Lease, *oversight.RestrictNotice or
	// *oversight.ShutdownNotice, as Type says.
	Data any
}

// ErrFellBehind ends a watch whose deployment did not keep up with its
// events; it reconnects with the last event id it saw and loses nothing.
var ErrFellBehind = errors.New("watch fell behind its events; reconnect with Last-Event-ID")

// watchBuffer is how many licence changes a watch may have pending before
// it is dropped. Enforcement actions are rare; a watch this far behind is
// stuck, and reconnecting replays what it missed from the database.
const watchBuffer = 64

// hub fans licence changes out to the watches of the licence's
// deployments, in commit order.
type hub struct {
	mu   sync.Mutex
	subs map[string]map[*subscription]struct{} // licence id → watches
}

type subscription struct {
	license string
	ch      chan LicenseChange
	dropped chan struct{} // closed when the watch fell behind
}

func newHub() *hub { return &hub{subs: map[string]map[*subscription]struct{}{}} }

func (h *hub) subscribe(license string) *subscription {
	sub := &subscription{license: license, ch: make(chan LicenseChange, watchBuffer), dropped: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[license] == nil {
		h.subs[license] = map[*subscription]struct{}{}
	}
	h.subs[license][sub] = struct{}{}
	return sub
}

func (h *hub) unsubscribe(sub *subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.remove(sub)
}

func (h *hub) remove(sub *subscription) {
	if m := h.subs[sub.license]; m != nil {
		delete(m, sub)
		if len(m) == 0 {
			delete(h.subs, sub.license)
		}
	}
}

// publish hands c to every watch of its licence without blocking: a watch
// whose buffer is full is dropped and told so.
func (h *hub) publish(c LicenseChange) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs[c.LicenseID] {
		select {
		case sub.ch <- c:
		default:
			h.remove(sub)
			close(sub.dropped)
		}
	}
}

// watchers returns how many watches a licence has, for tests and metrics.
func (h *hub) watchers(license string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[license])
}

// Watchers returns how many event streams are open for a licence's
// deployments on this replica.
func (en *Enforcement) Watchers(licenseID string) int { return en.s.enf.hub.watchers(licenseID) }

// Watch is a deployment's stream of enforcement events. It is not safe for
// concurrent use.
type Watch struct {
	s       *Service
	dep     string
	sub     *subscription
	pending []PushEvent
	last    int64 // highest event id given out
}

// WatchDeployment opens the event stream of the deployment that signed
// the request sig (whose digest is refused if seen before). The first events are what the deployment missed after
// lastEventID (the restrictions put in force since; -1 for a first
// connection: every restriction in force), then its licence's state now: a fresh lease if it is
// active, a shutdown if not. Then each enforcement action as it commits.
func (en *Enforcement) WatchDeployment(ctx context.Context, sig *oversight.SignedRequest, lastEventID int64) (*Watch, error) {
	s := en.s
	if sig == nil {
		return nil, fmt.Errorf("watch deployment: a signed request is required")
	}
	deploymentID, nonce := sig.Deployment, sig.Digest[:]
	var d *oversight.Deployment
	if err := s.view(ctx, func(tx *store.Tx) (err error) { d, err = tx.Deployment(deploymentID); return err }); err != nil {
		return nil, fmt.Errorf("watch deployment %s: %w", deploymentID, err)
	}
	// Subscribe before reading the state, so that no change falls between
	// the two; one that is in both is given once (Next skips ids already
	// given).
	w := &Watch{s: s, dep: d.ID, sub: s.enf.hub.subscribe(d.LicenseID), last: lastEventID}
	var (
		l       *oversight.License
		actions []oversight.Action
	)
	err := s.update(ctx, func(tx *store.Tx) error {
		fresh, err := tx.UseNonce(nonce, s.clock().Add(nonceTTL))
		if err != nil {
			return err
		}
		if !fresh {
			return oversight.Errorf(oversight.EUNAUTHORIZED, "replayed request: this signed request was already used; sign a new one")
		}
		if d, err = tx.Deployment(deploymentID); err != nil {
			return err
		}
		if d.Status != oversight.DeploymentActive {
			return retiredDeployment(d.ID, d.Status)
		}
		if l, err = tx.License(d.LicenseID); err != nil {
			return err
		}
		for page := (oversight.Page{Limit: 1000}); ; {
			as, next, err := tx.Actions(l.ID, page)
			if err != nil {
				return err
			}
			actions = append(actions, as...)
			if next == "" {
				return nil
			}
			page.After = next
		}
	})
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("watch deployment %s: %w", deploymentID, err)
	}
	var executed []oversight.Action
	for _, a := range actions {
		if a.Status == oversight.ActionExecuted {
			executed = append(executed, a)
		}
	}
	slices.SortFunc(executed, func(a, b oversight.Action) int { return int(a.LogIndex - b.LogIndex) })
	var newest int64
	for i := range executed {
		a := &executed[i]
		newest = max(newest, a.LogIndex)
		// Restrictions stay in force: a deployment that missed one hears
		// of it. A missed suspension or reinstatement is moot: the state
		// now, below, supersedes it.
		if a.Kind == oversight.ActionRestrict && a.LogIndex > lastEventID {
			w.pending = append(w.pending, PushEvent{ID: a.LogIndex, Type: oversight.PushRestrict, Data: restrictNotice(l, a)})
		}
	}
	// An id beyond every action of the licence was not given by this
	// server (a database restored or started afresh): forget it, or the
	// actions to come would look like ones already given.
	w.last = min(w.last, newest)
	now := PushEvent{ID: newest}
	if st := l.EffectiveStatus(s.clock()); st == oversight.LicenseActive {
		now.Type = oversight.PushLease // issued when given out, in Next
	} else {
		n := &oversight.ShutdownNotice{LicenseID: l.ID, Status: st, PolicyVersion: l.PolicyVersion}
		// Name the action that put the licence in this state, if any.
		cause := map[oversight.LicenseStatus]oversight.ActionKind{
			oversight.LicenseSuspended: oversight.ActionSuspend, oversight.LicenseRevoked: oversight.ActionRevoke}[st]
		for i := len(executed) - 1; i >= 0 && cause != ""; i-- {
			if a := &executed[i]; a.Kind == cause {
				n.ActionID, n.Kind, n.Reason, n.CaseID, n.LogIndex = a.ID, a.Kind, a.Reason, a.CaseID, a.LogIndex
				break
			}
		}
		now.Type, now.Data = oversight.PushShutdown, n
	}
	w.pending = append(w.pending, now)
	return w, nil
}

// restrictNotice describes an executed restrict action.
func restrictNotice(l *oversight.License, a *oversight.Action) *oversight.RestrictNotice {
	n := &oversight.RestrictNotice{LicenseID: l.ID, ActionID: a.ID, Rule: "RESTRICT-" + a.ID, Reason: a.Reason, CaseID: a.CaseID,
		PolicyVersion: l.PolicyVersion, LogIndex: a.LogIndex}
	if a.Restriction != nil {
		n.Restriction = *a.Restriction
	}
	return n
}

// Next blocks until the next event, and returns it. It fails when ctx
// ends, with ErrFellBehind when the watch could not keep up, and when the
// deployment may no longer have events (retired).
func (w *Watch) Next(ctx context.Context) (PushEvent, error) {
	for {
		if len(w.pending) > 0 {
			ev := w.pending[0]
			w.pending = w.pending[1:]
			if ev.Type == oversight.PushLease && ev.Data == nil {
				l, err := w.s.issueLease(ctx, w.dep, nil)
				if oversight.ErrorCode(err) == oversight.ECONFLICT && !isRetired(err) {
					continue // the licence changed meanwhile; its change follows
				}
				if err != nil {
					return PushEvent{}, fmt.Errorf("push lease to %s: %w", w.dep, err)
				}
				ev.Data = l
			}
			w.last = max(w.last, ev.ID)
			return ev, nil
		}
		select {
		case <-ctx.Done():
			return PushEvent{}, ctx.Err()
		case <-w.sub.dropped:
			return PushEvent{}, ErrFellBehind
		case c := <-w.sub.ch:
			w.pending = append(w.pending, w.events(c)...)
		}
	}
}

// isRetired reports whether err refuses a lease because the deployment,
// not its licence, is out of service.
func isRetired(err error) bool {
	var e *oversight.Error
	return errors.As(err, &e) && e.State == string(oversight.DeploymentRetired)
}

// events turns a licence change into the events a deployment gets.
func (w *Watch) events(c LicenseChange) []PushEvent {
	if d := c.Retired; d != nil {
		if d.ID != w.dep || d.Retired == nil || d.Retired.LogIndex <= w.last {
			return nil // another deployment of the licence, or given already
		}
		return []PushEvent{{ID: d.Retired.LogIndex, Type: oversight.PushShutdown, Data: &oversight.ShutdownNotice{
			LicenseID: c.LicenseID, Status: c.Status, DeploymentStatus: d.Status, Reason: d.Retired.Reason,
			PolicyVersion: c.PolicyVersion, LogIndex: d.Retired.LogIndex}}}
	}
	var id int64
	a := c.Action
	if a != nil {
		if a.LogIndex <= w.last {
			return nil // given already, on connecting
		}
		id = a.LogIndex
	}
	if a != nil && a.Kind == oversight.ActionRestrict {
		l := &oversight.License{ID: c.LicenseID, PolicyVersion: c.PolicyVersion}
		out := []PushEvent{{ID: id, Type: oversight.PushRestrict, Data: restrictNotice(l, a)}}
		if c.Status == oversight.LicenseActive {
			// A fresh lease names the new policy version. A suspended
			// licence stays shut down: nothing more to say.
			out = append(out, PushEvent{Type: oversight.PushLease})
		}
		return out
	}
	if c.Status == oversight.LicenseActive {
		return []PushEvent{{ID: id, Type: oversight.PushLease}}
	}
	n := &oversight.ShutdownNotice{LicenseID: c.LicenseID, Status: c.Status, PolicyVersion: c.PolicyVersion}
	if a != nil {
		n.ActionID, n.Kind, n.Reason, n.CaseID, n.LogIndex = a.ID, a.Kind, a.Reason, a.CaseID, a.LogIndex
	}
	return []PushEvent{{ID: id, Type: oversight.PushShutdown, Data: n}}
}

// Close ends the watch.
func (w *Watch) Close() { w.s.enf.hub.unsubscribe(w.sub) }
