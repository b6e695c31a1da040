package tlog

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/transparency-dev/merkle/rfc6962"
)

func TestHashesMatchRFC6962(t *testing.T) {
	h := rfc6962.DefaultHasher
	for _, n := range []int{0, 1, 300, 1022, 1023, 1024, 5000} {
		data := bytes.Repeat([]byte{byte(n)}, n)
		if got, want := LeafHash(data), h.HashLeaf(data); !bytes.Equal(got[:], want) {
			t.Errorf("LeafHash(%d bytes) = %x, want %x", n, got, want)
		}
	}
	l, r := LeafHash([]byte("left")), LeafHash([]byte("right"))
	if got, want := NodeHash(l, r), h.HashChildren(l[:], r[:]); !bytes.Equal(got[:], want) {
		t.Errorf("NodeHash = %x, want %x", got, want)
	}
	if !bytes.Equal(EmptyRoot[:], h.EmptyRoot()) {
		t.Errorf("EmptyRoot = %x, want %x", EmptyRoot, h.EmptyRoot())
	}
}

func TestParseHash(t *testing.T) {
	good := LeafHash([]byte("x"))
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{good.String(), true},
		{"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", true},
		{"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=", false}, // non-zero padding bits
		{"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU", false},  // no padding
		{"47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=", false}, // URL alphabet
		{strings.Repeat("A", 43) + "=" + "A", false},
		{"", false},
		{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", false}, // hex
	} {
		h, err := ParseHash(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseHash(%q) error %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && h.String() != tt.in {
			t.Errorf("ParseHash(%q).String() = %q", tt.in, h)
		}
	}
}

func TestHashJSON(t *testing.T) {
	p := InclusionProof{Index: 1, TreeSize: 2, Hashes: []Hash{EmptyRoot}}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"index":1,"tree_size":2,"hashes":["47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="]}`
	if string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
	var back InclusionProof
	if err := json.Unmarshal(b, &back); err != nil || back.Hashes[0] != EmptyRoot {
		t.Errorf("round trip: %v %+v", err, back)
	}
	if err := json.Unmarshal([]byte(`{"hashes":["AAAA"]}`), &back); err == nil {
		t.Error("short hash accepted")
	}
}
