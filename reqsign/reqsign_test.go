package reqsign

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	otherPub, _, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)
	body := []byte(`{"operation":"intercept"}`)
	sign := func() *httptestReq {
		req, err := NewRequest("POST", "http://x/v1/authorize?a=1", body, "dep_1", priv, now)
		if err != nil {
			t.Fatal(err)
		}
		return &httptestReq{req.Method, req.URL.RequestURI(), req.Header.Clone()}
	}
	tests := []struct {
		desc    string
		mutate  func(r *httptestReq, b *[]byte, k *ed25519.PublicKey, at *time.Time)
		wantErr error
	}{
		{"valid", func(*httptestReq, *[]byte, *ed25519.PublicKey, *time.Time) {}, nil},
		{"other key", func(_ *httptestReq, _ *[]byte, k *ed25519.PublicKey, _ *time.Time) { *k = otherPub }, ErrSignature},
		{"body changed", func(_ *httptestReq, b *[]byte, _ *ed25519.PublicKey, _ *time.Time) {
			*b = []byte(`{"operation":"extract"}`)
		}, ErrSignature},
		{"path changed", func(r *httptestReq, _ *[]byte, _ *ed25519.PublicKey, _ *time.Time) { r.uri = "/v1/authorize?a=2" }, ErrSignature},
		{"deployment changed", func(r *httptestReq, _ *[]byte, _ *ed25519.PublicKey, _ *time.Time) {
			r.h.Set(HeaderDeployment, "dep_2")
		}, ErrSignature},
		{"method changed", func(r *httptestReq, _ *[]byte, _ *ed25519.PublicKey, _ *time.Time) { r.method = "PUT" }, ErrSignature},
		{"time changed", func(r *httptestReq, _ *[]byte, _ *ed25519.PublicKey, _ *time.Time) {
			r.h.Set(HeaderTime, "2026-11-23T18:00:01Z")
		}, ErrSignature},
		{"too old", func(_ *httptestReq, _ *[]byte, _ *ed25519.PublicKey, at *time.Time) { *at = now.Add(31 * time.Second) }, ErrStale},
		{"from the future", func(_ *httptestReq, _ *[]byte, _ *ed25519.PublicKey, at *time.Time) { *at = now.Add(-31 * time.Second) }, ErrStale},
		{"no signature", func(r *httptestReq, _ *[]byte, _ *ed25519.PublicKey, _ *time.Time) { r.h.Del(HeaderSignature) }, ErrMissing},
		{"bad time", func(r *httptestReq, _ *[]byte, _ *ed25519.PublicKey, _ *time.Time) { r.h.Set(HeaderTime, "yesterday") }, ErrBadTime},
		{"no nonce", func(r *httptestReq, _ *[]byte, _ *ed25519.PublicKey, _ *time.Time) { r.h.Del(HeaderNonce) }, ErrMissing},
		{"bad nonce", func(r *httptestReq, _ *[]byte, _ *ed25519.PublicKey, _ *time.Time) { r.h.Set(HeaderNonce, "xyz") }, ErrBadNonce},
		{"nonce changed", func(r *httptestReq, _ *[]byte, _ *ed25519.PublicKey, _ *time.Time) {
			r.h.Set(HeaderNonce, "000000000000000000000000")
		}, ErrSignature},
		{"junk signature", func(r *httptestReq, _ *[]byte, _ *ed25519.PublicKey, _ *time.Time) { r.h.Set(HeaderSignature, "!!") }, ErrSignature},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			r := sign()
			b, k, at := body, pub, now
			tc.mutate(r, &b, &k, &at)
			req := httptest.NewRequest(r.method, r.uri, nil)
			req.Header = r.h
			key, err := NewKey(k)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Verify(req, b, key, at, DefaultWindow)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Verify: err = %v, want %v", err, tc.wantErr)
			}
			if err == nil && (s.Deployment != "dep_1" || !s.Time.Equal(now)) {
				t.Errorf("Signed = %+v", s)
			}
		})
	}
}

// Two signatures of the same request, even in the same second, have
// different digests; the same signed request replayed has the same.
func TestDigestIdentifiesRequest(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Now()
	a, _ := NewRequest("POST", "http://x/v1/authorize", []byte("{}"), "dep_1", priv, now)
	b, _ := NewRequest("POST", "http://x/v1/authorize", []byte("{}"), "dep_1", priv, now)
	pub, err := NewKey(priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	sa, err := Verify(a, []byte("{}"), pub, now, DefaultWindow)
	if err != nil {
		t.Fatal(err)
	}
	sa2, _ := Verify(a, []byte("{}"), pub, now, DefaultWindow)
	sb, _ := Verify(b, []byte("{}"), pub, now, DefaultWindow)
	if sa.Digest != sa2.Digest {
		t.Error("same request, different digests")
	}
	if sa.Digest == sb.Digest {
		t.Error("different requests, same digest")
	}
}

type httptestReq struct {
	method, uri string
	h           http.Header
}

// The prepared key accepts and refuses exactly what crypto/ed25519 does,
// including a signature with a non-canonical S and a small-order key.
func TestKeyAgreesWithStdlib(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	k, err := NewKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("oversight")
	sig := ed25519.Sign(priv, msg)
	cases := map[string][]byte{"valid": sig}
	flipped := append([]byte(nil), sig...)
	flipped[10] ^= 1
	cases["flipped R"] = flipped
	highS := append([]byte(nil), sig...)
	highS[63] |= 0xe0 // S >= L: crypto/ed25519 refuses it
	cases["non-canonical S"] = highS
	for name, sg := range cases {
		if got, want := k.verify(msg, sg), ed25519.Verify(pub, msg, sg); got != want {
			t.Errorf("%s: prepared key says %v, crypto/ed25519 says %v", name, got, want)
		}
	}
	req, _ := NewRequest("POST", "http://x/y", msg, "dep_1", priv, time.Now())
	signed := message("dep_1", req.Method, req.URL.RequestURI(), req.Header.Get(HeaderTime), req.Header.Get(HeaderNonce), sha256.Sum256(msg))
	if got, want := req.Header.Get(HeaderSignature), base64.StdEncoding.EncodeToString(ed25519.Sign(priv, signed)); got != want {
		t.Errorf("Sign wrote %s, crypto/ed25519 signs %s", got, want)
	}
	if _, err := NewKey(make([]byte, 31)); err == nil {
		t.Error("NewKey accepted a 31-byte key")
	}
}

// FuzzVerify feeds Verify arbitrary signature headers and bodies for a
// fixed key: it never panics, fails only with its sentinel errors, and
// accepts only a request whose signature is the key's own over exactly
// those headers and that body.
func FuzzVerify(f *testing.F) {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	key, err := NewKey(priv.Public().(ed25519.PublicKey))
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)
	body := []byte(`{"operation":"intercept"}`)
	req, _ := NewRequest("POST", "http://x/v1/authorize", body, "dep_1", priv, now)
	h := req.Header
	f.Add(h.Get(HeaderDeployment), h.Get(HeaderTime), h.Get(HeaderNonce), h.Get(HeaderSignature), body)
	f.Add(h.Get(HeaderDeployment), "2026-11-23T18:00:00+00:00", h.Get(HeaderNonce), h.Get(HeaderSignature), body)
	f.Add("dep_1", "2026-11-23T18:00:00Z", "ABCDEF012345678901234567", "", []byte{})
	f.Add("", "", "", "", []byte(nil))
	f.Fuzz(func(t *testing.T, id, ts, nonce, sig string, body []byte) {
		r := httptest.NewRequest("POST", "/v1/authorize", nil)
		for name, v := range map[string]string{HeaderDeployment: id, HeaderTime: ts, HeaderNonce: nonce, HeaderSignature: sig} {
			r.Header.Set(name, v)
		}
		got, err := Verify(r, body, key, now, DefaultWindow)
		if err != nil {
			for _, sentinel := range []error{ErrMissing, ErrBadTime, ErrStale, ErrBadNonce, ErrSignature} {
				if errors.Is(err, sentinel) {
					return
				}
			}
			t.Fatalf("Verify: %v is none of the package's errors", err)
		}
		raw, _ := base64.StdEncoding.DecodeString(sig)
		want := ed25519.Sign(priv, message(r.Header.Get(HeaderDeployment), "POST", "/v1/authorize", r.Header.Get(HeaderTime), r.Header.Get(HeaderNonce), sha256.Sum256(body)))
		if string(raw) != string(want) || got.Deployment != r.Header.Get(HeaderDeployment) || got.Digest != sha256.Sum256(raw) {
			t.Fatalf("Verify accepted %q %q %q %q: %+v", id, ts, nonce, sig, got)
		}
	})
}
