package agent

import (
	"crypto/ed25519"
	"strings"
	"testing"
)

// An agent without a pinned lease key is refused unless told to trust the
// server's, and a pinned key must be a key.
func TestNewLeaseKey(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	base := Config{Server: "http://127.0.0.1:1", DeploymentID: "dep_01test", Key: priv}
	for _, tc := range []struct {
		name    string
		key     ed25519.PublicKey
		trust   bool
		wantErr string
	}{
		{"pinned", pub, false, ""},
		{"none", nil, false, "lease key (pinned, or TrustServerKey)"},
		{"trusting the server", nil, true, ""},
		{"short", pub[:8], false, "lease key"},
		{"short, trusting the server", pub[:8], true, "lease key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			cfg.LeaseKey, cfg.TrustServerKey = tc.key, tc.trust
			_, err := New(cfg)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
