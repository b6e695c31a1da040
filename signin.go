package oversight

import (
	"encoding/json"
	"time"
)

// ID prefixes of the console's sign-in records.
const (
	PrefixSession  = "ses_"
	PrefixLink     = "lnk_"
	PrefixCeremony = "cer_"
)

// Passkey is a WebAuthn credential a user registered to sign in to the
// console and to confirm approvals.
type Passkey struct {
	// ID is the credential id, base64url without padding.
	ID     string `json:"id"`
	UserID string `json:"user_id"`
	// Credential is the relying party's record of the credential (public
	// key, signature counter, flags), opaque to the domain: the web
	// adapter writes and reads it.
	Credential json.RawMessage `json:"credential"`
	CreatedAt  time.Time       `json:"created_at"`
	LastUsedAt time.Time       `json:"last_used_at"`
}

// Session is a console sign-in: a cookie whose secret's hash is stored.
type Session struct {
	ID         string
	UserID     string
	Hash       []byte
	CreatedAt  time.Time
	LastSeenAt time.Time
	// AssertedAt is when the user last proved presence with a passkey (the
	// sign-in itself or a step-up); zero for a session opened by a demo
	// sign-in link.
	AssertedAt time.Time
}

// Idle reports whether the session has been unused for at least timeout at
// now.
func (s *Session) Idle(now time.Time, timeout time.Duration) bool {
	return !now.Before(s.LastSeenAt.Add(timeout))
}

// LinkKind says what a one-time link does.
type LinkKind string

// Kinds of one-time links.
const (
	// LinkEnrol invites a user to register their first passkey, signing
	// them in.
	LinkEnrol LinkKind = "enrol"
	// LinkSignIn signs a user in without a passkey: only "serve --demo"
	// makes them, for trying the console out.
	LinkSignIn LinkKind = "signin"
)

// Link is a one-time link for a user: its secret is in the URL, only its
// hash is stored, and it works once, before it expires.
type Link struct {
	ID        string     `json:"id"`
	UserID    string     `json:"user_id"`
	Kind      LinkKind   `json:"kind"`
	Hash      []byte     `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	UsedAt    *time.Time `json:"used_at,omitempty"`
}

// Usable reports why the link cannot be used at now, or nil.
func (l *Link) Usable(now time.Time) error {
	switch {
	case l.UsedAt != nil:
		return Errorf(EUNAUTHORIZED, "this link was already used; ask an administrator for a new one")
	case !now.Before(l.ExpiresAt):
		return Errorf(EUNAUTHORIZED, "this link expired on %s; ask an administrator for a new one", l.ExpiresAt.Format(time.DateTime))
	}
	return nil
}

// DefaultLinkTTL is how long an invitation stays usable.
const DefaultLinkTTL = 7 * 24 * time.Hour
