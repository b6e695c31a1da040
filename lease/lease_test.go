package lease_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight/lease"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// key returns a fixed test key derived from name, so that tokens are
// reproducible (Ed25519 signatures are deterministic).
func key(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("oversight lease test key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

var (
	t0   = time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)
	depA = "dep_01testdeploymenta"
	depB = "dep_01testdeploymentb"
)

func claims() *lease.Claims {
	return &lease.Claims{ID: "lse_01testlease", Deployment: depA, License: "lic_01testlicence", PolicyVersion: 4,
		IssuedAt: t0, Expires: t0.Add(lease.DefaultTTL)}
}

func sign(t testing.TB, k ed25519.PrivateKey, c *lease.Claims) string {
	t.Helper()
	s, err := lease.NewSigner(k)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// A lease verifies offline and gives back exactly what was signed.
func TestRoundTrip(t *testing.T) {
	k := key("regulator")
	c := claims()
	c.IssuedAt = t0.Add(300 * time.Millisecond) // kept to whole seconds
	tok := sign(t, k, c)
	l, err := lease.Verify(k.Public().(ed25519.PublicKey), tok, depA, t0.Add(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	want := *claims()
	if l.Claims != want {
		t.Errorf("claims = %+v, want %+v", l.Claims, want)
	}
	if l.Token != tok {
		t.Errorf("token not kept")
	}
	if l.Lifetime() != lease.DefaultTTL {
		t.Errorf("lifetime = %s", l.Lifetime())
	}
}

// The token format is stable: a golden token signed with a fixed key.
func TestGolden(t *testing.T) {
	tok := sign(t, key("regulator"), claims())
	path := filepath.Join("testdata", "lease.golden")
	if *update {
		if err := os.WriteFile(path, []byte(tok+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(b)); got != tok {
		t.Errorf("token changed:\n got %s\nwant %s\n(run with -update if intended)", tok, got)
	}
	// And the golden token still verifies with today's code.
	if _, err := lease.Verify(key("regulator").Public().(ed25519.PublicKey), strings.TrimSpace(string(b)), depA, t0); err != nil {
		t.Errorf("golden token: %v", err)
	}
}

// Every way a lease can be wrong is refused, each with its own error.
func TestRefused(t *testing.T) {
	reg := key("regulator")
	pub := reg.Public().(ed25519.PublicKey)
	good := sign(t, reg, claims())
	forged := sign(t, key("impostor"), claims())
	ofB := func() string { c := claims(); c.Deployment = depB; return sign(t, reg, c) }()
	future := func() string {
		c := claims()
		c.IssuedAt, c.Expires = t0.Add(time.Hour), t0.Add(time.Hour+time.Minute)
		return sign(t, reg, c)
	}()
	// Flip one bit of the signed claims: the signature no longer covers them.
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(good, "v4.public."))
	raw[10] ^= 1
	tampered := "v4.public." + base64.RawURLEncoding.EncodeToString(raw)
	// Claims rewritten to another deployment, signature kept.
	swapped := "v4.public." + base64.RawURLEncoding.EncodeToString(
		[]byte(strings.Replace(string(raw[:len(raw)-64]), "a\"", "b\"", 1)+string(raw[len(raw)-64:])))

	tests := []struct {
		desc  string
		token string
		dep   string
		now   time.Time
		want  error
	}{
		{"valid", good, depA, t0.Add(59 * time.Second), nil},
		{"expired at exp", good, depA, t0.Add(60 * time.Second), lease.ErrExpired},
		{"expired long ago", good, depA, t0.Add(24 * time.Hour), lease.ErrExpired},
		{"signed by another key", forged, depA, t0, lease.ErrForged},
		{"claims tampered with", tampered, depA, t0, lease.ErrForged},
		{"claims swapped to another deployment", swapped, depB, t0, lease.ErrForged},
		{"lease of another deployment", ofB, depA, t0, lease.ErrOtherDeployment},
		{"presented by the other deployment", good, depB, t0, lease.ErrOtherDeployment},
		{"issued in the future", future, depA, t0, lease.ErrNotYetValid},
		{"issued within the skew", future, depA, t0.Add(time.Hour - lease.Skew), nil},
		{"empty", "", depA, t0, lease.ErrMalformed},
		{"v4.local", "v4.local." + strings.TrimPrefix(good, "v4.public."), depA, t0, lease.ErrMalformed},
		{"v2.public", "v2.public." + strings.TrimPrefix(good, "v4.public."), depA, t0, lease.ErrMalformed},
		{"not base64", "v4.public.!!!!", depA, t0, lease.ErrMalformed},
		{"too short", "v4.public.AAAA", depA, t0, lease.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			l, err := lease.Verify(pub, tc.token, tc.dep, tc.now)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if l != nil {
				t.Fatalf("a lease came back with error %v", err)
			}
		})
	}
}

// The signer refuses to sign what would not verify.
func TestSignRefusesBadClaims(t *testing.T) {
	s, err := lease.NewSigner(key("regulator"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		desc string
		edit func(*lease.Claims)
	}{
		{"no deployment", func(c *lease.Claims) { c.Deployment = "" }},
		{"not a deployment id", func(c *lease.Claims) { c.Deployment = "lic_x" }},
		{"no licence", func(c *lease.Claims) { c.License = "" }},
		{"negative policy version", func(c *lease.Claims) { c.PolicyVersion = -1 }},
		{"empty lifetime", func(c *lease.Claims) { c.Expires = c.IssuedAt }},
		{"under a second", func(c *lease.Claims) { c.Expires = c.IssuedAt.Add(500 * time.Millisecond) }},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			c := claims()
			tc.edit(c)
			if _, err := s.Sign(c); !errors.Is(err, lease.ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
		})
	}
	if _, err := lease.NewSigner(make([]byte, 10)); err == nil {
		t.Error("NewSigner accepted a short key")
	}
	if _, err := lease.Verify(make([]byte, 10), "v4.public.x", depA, t0); err == nil {
		t.Error("Verify accepted a short public key")
	}
}

// No input makes Verify panic or accept a token the regulator did not sign
// for this deployment at this time.
func FuzzVerify(f *testing.F) {
	reg := key("regulator")
	pub := reg.Public().(ed25519.PublicKey)
	f.Add(sign(f, reg, claims()))
	f.Add(sign(f, key("impostor"), claims()))
	f.Add("v4.public.")
	f.Add("v4.public.eyJzdWIiOiJkZXBfMDEifQ")
	f.Fuzz(func(t *testing.T, token string) {
		l, err := lease.Verify(pub, token, depA, t0.Add(time.Second))
		if err != nil {
			return
		}
		// Only the one lease ever signed with this key can verify (its
		// text may differ in base64 padding bits, not its claims).
		if l.Claims != *claims() {
			t.Fatalf("accepted claims that were never signed: %+v from %q", l.Claims, token)
		}
	})
}
