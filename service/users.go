package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
)

// Accounts is the service's aggregate of accounts and access: the users
// and their API tokens, and the console's sign-in (one-time links,
// passkeys, sessions and WebAuthn ceremonies, signin.go). Service embeds
// it, so its methods are the Service's; it shares the Service's store and
// clock.
type Accounts struct{ s *Service }

// Operator is the principal of whoever runs the oversight command on the
// server's database directly (oversight user and token commands, the demo
// loader): it may manage users and tokens, and the log records it as
// "system". It is recognised by identity, so no request can claim it.
var Operator = &oversight.Principal{Role: oversight.RoleAdmin, Name: "operator"}

// actorOf is the actor recorded for p, "system" for the Operator.
func actorOf(p *oversight.Principal) string {
	if p == Operator {
		return "system"
	}
	return p.Actor()
}

// userCreated is the payload of user.created. The name stays out of the
// public log, which carries a commitment to it: the user id is the
// identity the log needs.
type userCreated struct {
	Name      string         `json:"name"`
	Role      oversight.Role `json:"role"`
	VendorID  string         `json:"vendor_id,omitempty"`
	EndUserID string         `json:"end_user_id,omitempty"`
}

// CreateUser creates a user: a person, one role, and the vendor or agency
// the role binds to. It is for administrators and the Operator. A second
// user whose name differs only in case or spacing is refused.
func (ac *Accounts) CreateUser(ctx context.Context, p *oversight.Principal, u *oversight.User) (*oversight.User, error) {
	s := ac.s
	if err := s.prepareUser(p, u); err != nil {
		return nil, err
	}
	if err := s.update(ctx, func(tx *store.Tx) error { return createUser(tx, p, u) }); err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// CreateUserWithToken creates a user and a first API token for them in one
// transaction: how an operator creates the first administrator, or a
// machine user, and how the demo creates its people.
func (ac *Accounts) CreateUserWithToken(ctx context.Context, p *oversight.Principal, u *oversight.User, r *oversight.TokenRequest) (*oversight.Token, string, error) {
	s := ac.s
	if err := s.prepareUser(p, u); err != nil {
		return nil, "", err
	}
	r.UserID = u.ID
	tok, secret, err := s.prepareToken(p, r)
	if err != nil {
		return nil, "", err
	}
	err = s.update(ctx, func(tx *store.Tx) error {
		if err := createUser(tx, p, u); err != nil {
			return err
		}
		return createToken(tx, p, tok)
	})
	if err != nil {
		return nil, "", fmt.Errorf("create user: %w", err)
	}
	return tok, secret, nil
}

// prepareUser checks the caller and the user and fills in what the server
// decides.
func (ac *Accounts) prepareUser(p *oversight.Principal, u *oversight.User) error {
	s := ac.s
	if err := allow(p, oversight.TaskUserCreate); err != nil {
		return err
	}
	u.Name = strings.TrimSpace(u.Name)
	if err := u.Validate(); err != nil {
		return err
	}
	u.ID = oversight.NewID(oversight.PrefixUser)
	u.CreatedBy = actorOf(p)
	u.CreatedAt = s.clock()
	u.DisabledAt = nil
	return nil
}

func createUser(tx *store.Tx, p *oversight.Principal, u *oversight.User) error {
	if u.VendorID != "" {
		if _, err := tx.Vendor(u.VendorID); err != nil {
			return err
		}
	}
	if u.EndUserID != "" {
		if _, err := tx.EndUser(u.EndUserID); err != nil {
			return err
		}
	}
	if err := tx.CreateUser(u); err != nil {
		return err
	}
	_, err := tx.RecordPrivate(oversight.EventUserCreated, actorOf(p), u.ID, u.CreatedAt, userCreated{u.Name, u.Role, u.VendorID, u.EndUserID}, oversight.PersonalUser...)
	return err
}

// User returns a user; administrators see every user, anyone else only
// themselves.
func (ac *Accounts) User(ctx context.Context, p *oversight.Principal, id string) (*oversight.User, error) {
	s := ac.s
	if err := allow(p, oversight.TaskUserRead); err != nil {
		return nil, err
	}
	if !p.Is(oversight.RoleAdmin) && p.UserID != id {
		return nil, oversight.NotFound("user", id)
	}
	var u *oversight.User
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		u, err = tx.User(id)
		return err
	})
	return u, err
}

// maxUserNames bounds one UserNames call: a page's worth of actors.
const maxUserNames = 200

// UserNames returns the names of the users with the given ids, for people
// reading a record that names users only by id (the audit log's actors
// role:usr_…). Officials see every user's name; anyone else only their
// own. Ids of no user, or that p may not see, are left out.
func (ac *Accounts) UserNames(ctx context.Context, p *oversight.Principal, ids []string) (map[string]string, error) {
	s := ac.s
	if err := allow(p, oversight.TaskUserNames); err != nil {
		return nil, err
	}
	if len(ids) > maxUserNames {
		return nil, oversight.Invalid("invalid request", "ids", "at most %d users at once", maxUserNames)
	}
	out := make(map[string]string, len(ids))
	err := s.view(ctx, func(tx *store.Tx) error {
		for _, id := range ids {
			if _, done := out[id]; done || !oversight.ValidID(oversight.PrefixUser, id) || (!p.Is(officials...) && id != p.UserID) {
				continue
			}
			u, err := tx.User(id)
			if oversight.ErrorCode(err) == oversight.ENOTFOUND {
				continue
			}
			if err != nil {
				return err
			}
			out[id] = u.Name
		}
		return nil
	})
	return out, err
}

// Users lists users, of one role when role is not empty.
func (ac *Accounts) Users(ctx context.Context, p *oversight.Principal, role oversight.Role, page oversight.Page) (*oversight.List[oversight.User], error) {
	s := ac.s
	if err := allow(p, oversight.TaskUserList); err != nil {
		return nil, err
	}
	if role != "" && !role.Valid() {
		return nil, oversight.Invalid("invalid request", "role", "must be one of admin, defense, foreign_affairs, vendor, end_user, consular")
	}
	var out oversight.List[oversight.User]
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		out.Items, out.Next, err = tx.Users(role, page)
		return err
	})
	return &out, err
}

// TokenSecretPrefix starts every API token, so that secret scanners and
// people recognise one.
const TokenSecretPrefix = "ovt_"

// tokenCreated is the payload of token.created.
type tokenCreated struct {
	UserID    string `json:"user_id"`
	ExpiresAt string `json:"expires_at"`
}

// CreateToken creates an API token for a user and returns it with its
// secret. The secret is shown once; only its hash is stored. The token acts
// as the user, with the user's role and bindings, until it expires or is
// revoked. It is for administrators and the Operator.
func (ac *Accounts) CreateToken(ctx context.Context, p *oversight.Principal, r *oversight.TokenRequest) (*oversight.Token, string, error) {
	s := ac.s
	tok, secret, err := s.prepareToken(p, r)
	if err != nil {
		return nil, "", err
	}
	if err := s.update(ctx, func(tx *store.Tx) error { return createToken(tx, p, tok) }); err != nil {
		return nil, "", fmt.Errorf("create token: %w", err)
	}
	return tok, secret, nil
}

// prepareToken checks the caller and the request and makes the token and
// its secret.
func (ac *Accounts) prepareToken(p *oversight.Principal, r *oversight.TokenRequest) (*oversight.Token, string, error) {
	s := ac.s
	if err := allow(p, oversight.TaskTokenCreate); err != nil {
		return nil, "", err
	}
	if err := r.Validate(); err != nil {
		return nil, "", err
	}
	ttl := r.TTL
	if ttl == 0 {
		ttl = oversight.DefaultTokenTTL
	}
	var raw [32]byte
	rand.Read(raw[:])
	secret := TokenSecretPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw[:]))
	sum := sha256.Sum256([]byte(secret))
	now := s.clock()
	return &oversight.Token{ID: oversight.NewID(oversight.PrefixToken), UserID: r.UserID, Label: strings.TrimSpace(r.Label),
		Hash: sum[:], CreatedAt: now, ExpiresAt: now.Add(ttl)}, secret, nil
}

// createToken stores tok for its user, who must exist and be active.
func createToken(tx *store.Tx, p *oversight.Principal, tok *oversight.Token) error {
	u, err := tx.User(tok.UserID)
	if err != nil {
		return err
	}
	if err := u.Active(); err != nil {
		return oversight.Conflictf("disabled", "user %s is disabled; a disabled user gets no token", u.ID)
	}
	tok.Principal = u.Principal()
	tok.Principal.TokenID = tok.ID
	if err := tx.CreateToken(tok); err != nil {
		return err
	}
	// The log says whose token it is and until when, never the secret.
	_, err = tx.Record(oversight.EventTokenCreated, actorOf(p), tok.ID, tok.CreatedAt, tokenCreated{u.ID, tok.ExpiresAt.Format(timeFormat)})
	return err
}

// timeFormat writes times in events: RFC 3339 with microseconds, UTC.
const timeFormat = "2006-01-02T15:04:05.999999Z07:00"

// Tokens lists tokens, of one user when userID is not empty, revoked and
// expired ones included. Administrators see every token, anyone else only
// their own.
func (ac *Accounts) Tokens(ctx context.Context, p *oversight.Principal, userID string, page oversight.Page) (*oversight.List[oversight.Token], error) {
	s := ac.s
	if err := allow(p, oversight.TaskTokenList); err != nil {
		return nil, err
	}
	if userID != "" && !oversight.ValidID(oversight.PrefixUser, userID) {
		return nil, oversight.Invalid("invalid request", "user", "must be a user id (usr_…)")
	}
	if !p.Is(oversight.RoleAdmin) {
		userID = p.UserID
	}
	var out oversight.List[oversight.Token]
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		out.Items, out.Next, err = tx.Tokens(userID, page)
		return err
	})
	return &out, err
}

// RevokeToken revokes a token at once. The token is refused by every
// replica from the commit on: Authenticate reads the token's row on every
// request. Administrators revoke any token, anyone else their own.
func (ac *Accounts) RevokeToken(ctx context.Context, p *oversight.Principal, id string) (*oversight.Token, error) {
	s := ac.s
	if err := allow(p, oversight.TaskTokenRevoke); err != nil {
		return nil, err
	}
	if !oversight.ValidID(oversight.PrefixToken, id) {
		return nil, oversight.Invalid("invalid request", "id", "must be a token id (tok_…)")
	}
	var tok *oversight.Token
	err := s.update(ctx, func(tx *store.Tx) error {
		var err error
		if tok, err = tx.Token(id); err != nil {
			return err
		}
		if !p.Is(oversight.RoleAdmin) && tok.UserID != p.UserID {
			return oversight.NotFound("token", id)
		}
		if tok.RevokedAt != nil {
			return oversight.Conflictf("revoked", "token %s was already revoked at %s", id, tok.RevokedAt.Format(timeFormat))
		}
		now := s.clock()
		if err := tx.RevokeToken(id, now); err != nil {
			return err
		}
		tok.RevokedAt = &now
		_, err = tx.Record(oversight.EventTokenRevoked, actorOf(p), id, now, struct {
			UserID string `json:"user_id"`
		}{tok.UserID})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("revoke token: %w", err)
	}
	return tok, nil
}

// Authenticate returns the principal holding secret: the token's user. It
// reads the token's row on every call, with no cache, so that a revocation
// committed by any replica is refused by every other one at the next
// request; the read is one lookup by a unique index.
func (ac *Accounts) Authenticate(ctx context.Context, secret string) (*oversight.Principal, error) {
	s := ac.s
	if !strings.HasPrefix(secret, TokenSecretPrefix) || len(secret) > 128 {
		return nil, oversight.Errorf(oversight.EUNAUTHORIZED, "malformed token")
	}
	sum := sha256.Sum256([]byte(secret))
	var tok *oversight.Token
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		tok, err = tx.TokenByHash(sum[:])
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := tok.Usable(s.now()); err != nil {
		return nil, err
	}
	p := tok.Principal
	return &p, nil
}
