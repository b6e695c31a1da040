package reqsign

import (
	"crypto/ed25519"
	"crypto/rand"
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
			s, err := Verify(req, b, k, at, DefaultWindow)
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
	pub := priv.Public().(ed25519.PublicKey)
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
