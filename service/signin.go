package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
)

// The console's sign-in: one-time links (invitations, and demo sign-ins),
// passkeys, sessions and the challenges of WebAuthn ceremonies. The
// WebAuthn protocol itself is the web adapter's; the service keeps the
// records and the rules: who may invite, that a link works once, that a
// session ends when idle.

// newSecret returns a random secret with prefix and its SHA-256.
func newSecret(prefix string) (string, []byte) {
	var raw [32]byte
	rand.Read(raw[:])
	secret := prefix + base64.RawURLEncoding.EncodeToString(raw[:])
	sum := sha256.Sum256([]byte(secret))
	return secret, sum[:]
}

func hashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// LinkSecretPrefix starts the secret of a one-time link.
const LinkSecretPrefix = "ovl_"

// InviteUser creates a user and a one-time enrolment link: whoever opens
// it registers the user's passkey and is signed in. It is for
// administrators and the Operator; the link's secret is returned once.
func (ac *Accounts) InviteUser(ctx context.Context, p *oversight.Principal, u *oversight.User) (*oversight.Link, string, error) {
	s := ac.s
	if err := s.prepareUser(p, u); err != nil {
		return nil, "", err
	}
	l, secret := s.newLink(u.ID, oversight.LinkEnrol, oversight.DefaultLinkTTL)
	err := s.update(ctx, func(tx *store.Tx) error {
		if err := createUser(tx, p, u); err != nil {
			return err
		}
		return tx.CreateLink(l)
	})
	if err != nil {
		return nil, "", fmt.Errorf("invite user: %w", err)
	}
	return l, secret, nil
}

// CreateLink makes a new one-time link for an existing user: a new
// invitation (LinkEnrol), or a sign-in without passkey (LinkSignIn), which
// only the Operator may make, for the demo.
func (ac *Accounts) CreateLink(ctx context.Context, p *oversight.Principal, userID string, kind oversight.LinkKind, ttl time.Duration) (*oversight.Link, string, error) {
	s := ac.s
	if err := allow(p, oversight.TaskUserInvite); err != nil {
		return nil, "", err
	}
	switch {
	case kind == oversight.LinkSignIn && p != Operator:
		return nil, "", oversight.Errorf(oversight.EFORBIDDEN, "sign-in links without a passkey are made only by serve --demo")
	case kind != oversight.LinkEnrol && kind != oversight.LinkSignIn:
		return nil, "", oversight.Invalid("invalid link", "kind", "must be enrol or signin")
	case !oversight.ValidID(oversight.PrefixUser, userID):
		return nil, "", oversight.Invalid("invalid link", "user", "must be a user id (usr_…)")
	}
	if ttl <= 0 {
		ttl = oversight.DefaultLinkTTL
	}
	l, secret := s.newLink(userID, kind, ttl)
	err := s.update(ctx, func(tx *store.Tx) error {
		u, err := tx.User(userID)
		if err != nil {
			return err
		}
		if err := u.Active(); err != nil {
			return err
		}
		return tx.CreateLink(l)
	})
	if err != nil {
		return nil, "", fmt.Errorf("create link: %w", err)
	}
	return l, secret, nil
}

func (ac *Accounts) newLink(userID string, kind oversight.LinkKind, ttl time.Duration) (*oversight.Link, string) {
	s := ac.s
	secret, hash := newSecret(LinkSecretPrefix)
	now := s.clock()
	return &oversight.Link{ID: oversight.NewID(oversight.PrefixLink), UserID: userID, Kind: kind, Hash: hash,
		CreatedAt: now, ExpiresAt: now.Add(ttl)}, secret
}

// OpenLink returns the usable link with secret and its user, without using
// it up.
func (ac *Accounts) OpenLink(ctx context.Context, secret string) (*oversight.Link, *oversight.User, error) {
	s := ac.s
	var (
		l *oversight.Link
		u *oversight.User
	)
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		l, u, err = usableLink(tx, secret, s.now())
		return err
	})
	return l, u, err
}

func usableLink(tx *store.Tx, secret string, now time.Time) (*oversight.Link, *oversight.User, error) {
	if len(secret) > 128 {
		return nil, nil, oversight.Errorf(oversight.EUNAUTHORIZED, "this link is not valid; check that it was copied whole")
	}
	l, err := tx.LinkByHash(hashSecret(secret))
	if err != nil {
		return nil, nil, err
	}
	if err := l.Usable(now); err != nil {
		return nil, nil, err
	}
	u, err := tx.User(l.UserID)
	if err != nil {
		return nil, nil, err
	}
	return l, u, u.Active()
}

// SessionSecretPrefix starts the secret of a console session.
const SessionSecretPrefix = "ovs_"

// SignInWithLink uses up a sign-in link and opens a session for its user,
// which has proved no passkey (AssertedAt is zero).
func (ac *Accounts) SignInWithLink(ctx context.Context, secret string) (*oversight.Session, string, error) {
	s := ac.s
	var (
		ses    *oversight.Session
		cookie string
	)
	err := s.update(ctx, func(tx *store.Tx) error {
		l, u, err := usableLink(tx, secret, s.now())
		if err != nil {
			return err
		}
		if l.Kind != oversight.LinkSignIn {
			return oversight.Errorf(oversight.EUNAUTHORIZED, "this is an invitation: register a passkey to sign in")
		}
		if err := tx.UseLink(l.ID, s.clock()); err != nil {
			return err
		}
		ses, cookie, err = s.openSession(tx, u.ID, time.Time{})
		return err
	})
	return ses, cookie, err
}

// EnrolPasskey uses up an enrolment link: it registers the passkey for the
// link's user and opens a session for them, asserted now.
func (ac *Accounts) EnrolPasskey(ctx context.Context, secret string, k *oversight.Passkey) (*oversight.Session, string, error) {
	s := ac.s
	var (
		ses    *oversight.Session
		cookie string
	)
	err := s.update(ctx, func(tx *store.Tx) error {
		l, u, err := usableLink(tx, secret, s.now())
		if err != nil {
			return err
		}
		if l.Kind != oversight.LinkEnrol {
			return oversight.Errorf(oversight.EUNAUTHORIZED, "this link signs in; it does not register a passkey")
		}
		now := s.clock()
		if err := tx.UseLink(l.ID, now); err != nil {
			return err
		}
		if err := addPasskey(tx, u, k, now); err != nil {
			return err
		}
		ses, cookie, err = s.openSession(tx, u.ID, now)
		return err
	})
	return ses, cookie, err
}

// AddPasskey registers another passkey for the signed-in user, or a first
// one for a user signed in by a demo link.
func (ac *Accounts) AddPasskey(ctx context.Context, p *oversight.Principal, k *oversight.Passkey) error {
	s := ac.s
	if err := allow(p, oversight.TaskPasskeyAdd); err != nil {
		return err
	}
	return s.update(ctx, func(tx *store.Tx) error {
		u, err := tx.User(p.UserID)
		if err != nil {
			return err
		}
		return addPasskey(tx, u, k, s.clock())
	})
}

func addPasskey(tx *store.Tx, u *oversight.User, k *oversight.Passkey, now time.Time) error {
	if k.ID == "" || len(k.ID) > 1400 || len(k.Credential) == 0 {
		return oversight.Invalid("invalid passkey", "credential", "no credential was received")
	}
	k.UserID, k.CreatedAt, k.LastUsedAt = u.ID, now, now
	if err := tx.CreatePasskey(k); err != nil {
		return err
	}
	p := u.Principal()
	_, err := tx.Record(oversight.EventPasskeyRegistered, p.Actor(), u.ID, now, struct {
		UserID string `json:"user_id"`
	}{u.ID})
	return err
}

// Passkeys returns the passkeys of a user (for signing in: the caller has
// not authenticated yet, so no principal).
func (ac *Accounts) Passkeys(ctx context.Context, userID string) (*oversight.User, []oversight.Passkey, error) {
	s := ac.s
	var (
		u  *oversight.User
		ks []oversight.Passkey
	)
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		if u, err = tx.User(userID); err != nil {
			return oversight.Errorf(oversight.EUNAUTHORIZED, "this passkey belongs to no user here")
		}
		if err := u.Active(); err != nil {
			return err
		}
		ks, err = tx.Passkeys(userID)
		return err
	})
	return u, ks, err
}

// SignInWithPasskey records the use of a verified passkey (its updated
// record, with the new signature counter) and opens a session asserted now.
func (ac *Accounts) SignInWithPasskey(ctx context.Context, k *oversight.Passkey) (*oversight.Session, string, error) {
	s := ac.s
	var (
		ses    *oversight.Session
		cookie string
	)
	err := s.update(ctx, func(tx *store.Tx) error {
		now := s.clock()
		if err := s.usePasskey(tx, k, now); err != nil {
			return err
		}
		var err error
		ses, cookie, err = s.openSession(tx, k.UserID, now)
		return err
	})
	return ses, cookie, err
}

// Asserted records a step-up: the signed-in user proved presence with a
// verified passkey now, for an approval.
func (ac *Accounts) Asserted(ctx context.Context, ses *oversight.Session, k *oversight.Passkey) error {
	s := ac.s
	return s.update(ctx, func(tx *store.Tx) error {
		now := s.clock()
		if k.UserID != ses.UserID {
			return oversight.Errorf(oversight.EFORBIDDEN, "this passkey is not yours")
		}
		if err := s.usePasskey(tx, k, now); err != nil {
			return err
		}
		ses.AssertedAt = now
		return tx.TouchSession(ses.ID, now, now)
	})
}

func (ac *Accounts) usePasskey(tx *store.Tx, k *oversight.Passkey, now time.Time) error {
	old, err := tx.Passkey(k.ID)
	if err != nil {
		return err
	}
	if old.UserID != k.UserID {
		return oversight.Errorf(oversight.EUNAUTHORIZED, "this passkey belongs to another user")
	}
	k.CreatedAt, k.LastUsedAt = old.CreatedAt, now
	return tx.UpdatePasskey(k)
}

// DefaultIdleTimeout ends a console session unused for that long.
const DefaultIdleTimeout = 30 * time.Minute

func (ac *Accounts) openSession(tx *store.Tx, userID string, asserted time.Time) (*oversight.Session, string, error) {
	s := ac.s
	secret, hash := newSecret(SessionSecretPrefix)
	now := s.clock()
	ses := &oversight.Session{ID: oversight.NewID(oversight.PrefixSession), UserID: userID, Hash: hash,
		CreatedAt: now, LastSeenAt: now, AssertedAt: asserted}
	return ses, secret, tx.CreateSession(ses)
}

// sessionTouchEvery bounds how often a session's last use is written: a
// page view is not a write, but the idle timeout stays within a minute.
const sessionTouchEvery = time.Minute

// SessionPrincipal returns the session whose cookie secret is given and
// the principal of its user, refusing a session idle for idle or more (0
// means DefaultIdleTimeout), and a disabled user. It reads the session's
// row on every request, so that a sign-out holds on every replica.
func (ac *Accounts) SessionPrincipal(ctx context.Context, secret string, idle time.Duration) (*oversight.Session, *oversight.Principal, error) {
	s := ac.s
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	if len(secret) > 128 {
		return nil, nil, oversight.Errorf(oversight.EUNAUTHORIZED, "not signed in")
	}
	var (
		ses *oversight.Session
		u   *oversight.User
	)
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		ses, u, err = tx.SessionByHash(hashSecret(secret))
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	now := s.clock()
	if ses.Idle(now, idle) {
		return nil, nil, oversight.Errorf(oversight.EUNAUTHORIZED, "your session ended after %s without use; sign in again", idle)
	}
	if err := u.Active(); err != nil {
		return nil, nil, err
	}
	if now.Sub(ses.LastSeenAt) >= sessionTouchEvery {
		if err := s.update(ctx, func(tx *store.Tx) error { return tx.TouchSession(ses.ID, now, time.Time{}) }); err != nil {
			return nil, nil, err
		}
		ses.LastSeenAt = now
	}
	p := u.Principal()
	return ses, &p, nil
}

// EndSession signs out.
func (ac *Accounts) EndSession(ctx context.Context, ses *oversight.Session) error {
	s := ac.s
	return s.update(ctx, func(tx *store.Tx) error { return tx.DeleteSession(ses.ID) })
}

// PruneSessions deletes sessions idle for longer than idle (0 means
// DefaultIdleTimeout).
func (ac *Accounts) PruneSessions(ctx context.Context, idle time.Duration) (int64, error) {
	s := ac.s
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	var n int64
	err := s.update(ctx, func(tx *store.Tx) (err error) {
		n, err = tx.DeleteIdleSessions(s.clock().Add(-idle))
		return err
	})
	return n, err
}

// ceremonyTTL bounds how long a browser has to answer a passkey request.
const ceremonyTTL = 5 * time.Minute

// BeginCeremony stores the state of a WebAuthn ceremony (its challenge),
// bound to what started it (a session id, or a link's id), and returns its
// id for the browser to send back with its answer.
func (ac *Accounts) BeginCeremony(ctx context.Context, binding string, data []byte) (string, error) {
	s := ac.s
	id := oversight.NewID(oversight.PrefixCeremony)
	err := s.update(ctx, func(tx *store.Tx) error {
		return tx.PutCeremony(id, binding, data, s.clock().Add(ceremonyTTL))
	})
	return id, err
}

// FinishCeremony returns and forgets a ceremony's state: a challenge is
// answered once.
func (ac *Accounts) FinishCeremony(ctx context.Context, id, binding string) ([]byte, error) {
	s := ac.s
	if !oversight.ValidID(oversight.PrefixCeremony, id) {
		return nil, oversight.Errorf(oversight.EUNAUTHORIZED, "the passkey request expired or was already answered; try again")
	}
	var data []byte
	err := s.update(ctx, func(tx *store.Tx) (err error) {
		data, err = tx.TakeCeremony(id, binding, s.clock())
		return err
	})
	return data, err
}
