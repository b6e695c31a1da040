package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
)

// Changing a vendor or an agency (PATCH /v1/vendors/{id}, /v1/end-users/{id};
// issue 16 point 4: parties are screened when registered or changed). The
// parties a change makes new, the company or agency renamed or moved and
// the persons added, are screened as at registration; a new match holds
// the approval of the applied licences naming the record (blockingMatch)
// and opens or joins the PARTY-LISTED case of every live licence naming
// it, as a re-screening's does (recordChanged).

// vendorUpdated is the payload of a vendor.updated event: the vendor as it
// now is, its persons' identities withheld as at registration
// (oversight.PersonalVendor), and what changed.
type vendorUpdated struct {
	*oversight.Vendor
	Change *oversight.RecordChange `json:"change"`
}

// endUserUpdated is the payload of an end_user.updated event: the agency
// as it now is, and what changed. An agency is an organ of its state:
// nothing of it is withheld.
type endUserUpdated struct {
	*oversight.EndUser
	Change *oversight.RecordChange `json:"change"`
}

// errMoved says that a record changed between its read and the write of a
// change to it.
var errMoved = errors.New("record changed meanwhile")

// recordChange is one change of a registry record of type T: how to read
// it, apply the change, find the parties it makes new, and write it.
type recordChange[T any] struct {
	kind, id string
	// pinned is set when the caller named the version it read: a record
	// changed since is then a conflict, never a change applied again.
	pinned   bool
	read     func(*store.Tx) (*T, error)
	logIndex func(*T) int64
	apply    func(*T) (*T, *oversight.RecordChange, error)
	parties  func(*T, *oversight.RecordChange) []oversight.Party
	// write records the event and writes the record, whose log_index it
	// sets.
	write func(tx *store.Tx, next *T, ch *oversight.RecordChange, at time.Time) error
}

// changeRecord reads the record, applies the change and screens the
// parties it makes new outside the write transaction (as prescreen does
// at registration), then writes it with its event and new matches in one
// transaction, provided the record is as it was read: if another change
// came first, it starts again from the new version, up to three times,
// unless the caller pinned the version (then 409 changed). A change that
// changes nothing writes nothing and answers the record.
func changeRecord[T any](ctx context.Context, s *Service, actor string, c recordChange[T]) (*T, error) {
	for attempt := 0; ; attempt++ {
		var cur *T
		if err := s.view(ctx, func(tx *store.Tx) (err error) { cur, err = c.read(tx); return err }); err != nil {
			return nil, err
		}
		next, ch, err := c.apply(cur)
		if err != nil {
			return nil, err
		}
		if ch.Empty() {
			return cur, nil
		}
		parties := c.parties(next, ch)
		now := s.clock()
		found, err := s.prescreen(ctx, parties, now)
		if err != nil {
			return nil, err
		}
		err = s.update(ctx, func(tx *store.Tx) error {
			stored, err := c.read(tx)
			if err != nil {
				return err
			}
			if c.logIndex(stored) != c.logIndex(cur) {
				return errMoved
			}
			if err := c.write(tx, next, ch, now); err != nil {
				return err
			}
			return s.recordChanged(tx, actor, c.id, parties, found, now)
		})
		if errors.Is(err, errMoved) {
			if !c.pinned && attempt < 3 {
				continue
			}
			return nil, oversight.Conflictf("changed", "%s %s was changed by another request meanwhile: read it again and redo the change", c.kind, c.id)
		}
		if err != nil {
			return nil, fmt.Errorf("change %s %s: %w", c.kind, c.id, err)
		}
		return next, nil
	}
}

// UpdateVendor changes a vendor's name, country, address and persons
// (PATCH /v1/vendors/{id}); whoever may register a vendor may change one.
// The event withholds the persons' identities as the registration's does,
// and names the fields changed and the persons added and removed by id.
// The matches of a person removed stay recorded, and an open one keeps
// blocking until an officer decides on it: removing an owner on paper does
// not clear a suspicion about them.
func (g *Registry) UpdateVendor(ctx context.Context, p *oversight.Principal, id string, u *oversight.VendorUpdate) (*oversight.Vendor, error) {
	s := g.s
	if err := allow(p, oversight.TaskVendorUpdate); err != nil {
		return nil, err
	}
	u.Tidy()
	if err := u.Validate(); err != nil {
		return nil, err
	}
	return changeRecord(ctx, s, p.Actor(), recordChange[oversight.Vendor]{
		kind: "vendor", id: id, pinned: u.LogIndex != nil,
		read:     func(tx *store.Tx) (*oversight.Vendor, error) { return tx.Vendor(id) },
		logIndex: func(v *oversight.Vendor) int64 { return v.LogIndex },
		apply:    u.Apply,
		parties: func(v *oversight.Vendor, ch *oversight.RecordChange) []oversight.Party {
			renamed := slices.Contains(ch.Fields, "name") || slices.Contains(ch.Fields, "country")
			var out []oversight.Party
			for _, pa := range vendorParties(v) {
				if pa.Kind == oversight.PartyVendor && renamed ||
					pa.Kind == oversight.PartyVendorPerson && slices.ContainsFunc(ch.PersonsAdded, func(per string) bool { return pa.ID == v.ID+"/"+per }) {
					out = append(out, pa)
				}
			}
			return out
		},
		write: func(tx *store.Tx, v *oversight.Vendor, ch *oversight.RecordChange, at time.Time) error {
			v.LogIndex = tx.NextIndex()
			if _, err := tx.RecordPrivate(oversight.EventVendorUpdated, p.Actor(), v.ID, at, vendorUpdated{v, ch}, oversight.PersonalVendor...); err != nil {
				return err
			}
			return tx.UpdateVendor(v)
		},
	})
}

// UpdateEndUser changes an agency's name, kind or declaration signing key
// (PATCH /v1/end-users/{id}); whoever may register an agency may change
// one. A renamed agency is screened again.
func (lg *Licensing) UpdateEndUser(ctx context.Context, p *oversight.Principal, id string, u *oversight.EndUserUpdate) (*oversight.EndUser, error) {
	s := lg.s
	if err := allow(p, oversight.TaskEndUserUpdate); err != nil {
		return nil, err
	}
	u.Tidy()
	if err := u.Validate(); err != nil {
		return nil, err
	}
	return changeRecord(ctx, s, p.Actor(), recordChange[oversight.EndUser]{
		kind: "end user", id: id, pinned: u.LogIndex != nil,
		read:     func(tx *store.Tx) (*oversight.EndUser, error) { return tx.EndUser(id) },
		logIndex: func(e *oversight.EndUser) int64 { return e.LogIndex },
		apply:    u.Apply,
		parties: func(e *oversight.EndUser, ch *oversight.RecordChange) []oversight.Party {
			if slices.Contains(ch.Fields, "agency") {
				return []oversight.Party{endUserParty(e)}
			}
			return nil
		},
		write: func(tx *store.Tx, e *oversight.EndUser, ch *oversight.RecordChange, at time.Time) error {
			e.LogIndex = tx.NextIndex()
			if _, err := tx.Record(oversight.EventEndUserUpdated, p.Actor(), e.ID, at, endUserUpdated{e, ch}); err != nil {
				return err
			}
			return tx.UpdateEndUser(e)
		},
	})
}
